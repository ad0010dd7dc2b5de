"""Keeping colours still from frame to frame: the previous output's ab carried along the optical flow of L.

A net that colorizes each frame alone flickers: the same coat changes colour from one frame to the next.
``FlowFilter`` blends each frame's predicted ab with the previous *output* ab, warped along the flow of the
lightness, wherever that flow is reliable (forward-backward consistent, off motion boundaries, and the
warped lightness matches); elsewhere (occlusions, new content) the prediction stands alone. The carried
colour is an exponential average along motion trajectories, in the spirit of the blind temporal
consistency of Lai et al. (ECCV 2018), without a trained network. It works on ab at the net's working
size, before upsampling: cheaper, and what the net predicts.

At a scene cut nothing is carried: a cut is a large change of the lightness histogram, or a frame where
little of the flow is reliable, so no colour of one shot is pulled into the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from colorgan.errors import ConfigError
from colorgan.video import TEMPORAL_MODES
from colorgan.video import flow as of


@dataclass(frozen=True)
class FlowSettings:
    """``carry``: the weight of the warped previous output where the flow is reliable (0: none, the
    prediction alone; 0.8 averages over about 1 / (1 - 0.8) = 5 frames). ``cut_histogram``: the total
    variation distance between consecutive L histograms above which a frame starts a new shot.
    ``min_reliable``: below this share of reliable pixels, a frame starts a new shot too.
    ``max_L_error``: the lightness difference (L*, 0-100) above which a warped pixel is not trusted."""

    carry: float = 0.8
    cut_histogram: float = 0.3
    min_reliable: float = 0.3
    max_L_error: float = 6.0


class FlowFilter:
    """Call it on consecutive frames: ``filter(L, ab)`` -> the ab to show. ``cuts`` lists the frames (by
    count from 0) where it started a new shot; ``reset()`` forgets the previous frame."""

    def __init__(self, settings: FlowSettings | None = None):
        self.settings = settings or FlowSettings()
        self.cuts: list[int] = []
        self.frame = 0
        self.reset()

    def reset(self) -> None:
        self.prev_gray: np.ndarray | None = None
        self.prev_hist: np.ndarray | None = None
        self.prev_ab: np.ndarray | None = None

    def __call__(self, L: np.ndarray, ab: np.ndarray) -> np.ndarray:
        """``L``: the frame's lightness at the working size ``(h, w)``, L* in 0-100; ``ab``: the predicted
        ``(2, h, w)``. Returns the filtered ``(2, h, w)`` float32."""
        gray = np.clip(L * 2.55 + 0.5, 0, 255).astype(np.uint8)
        hist = of.histogram(gray)
        out = ab.astype(np.float32)
        weight = self._carry_weight(gray, hist)
        if weight is None:
            self.cuts.append(self.frame)
        else:
            carried = of.warp(np.ascontiguousarray(self.prev_ab.transpose(1, 2, 0)), self._back).transpose(2, 0, 1)
            out = weight * carried + (1.0 - weight) * out
        self.prev_gray, self.prev_hist, self.prev_ab = gray, hist, out
        self.frame += 1
        return out

    def _carry_weight(self, gray: np.ndarray, hist: np.ndarray) -> np.ndarray | None:
        """The per-pixel weight ``(h, w)`` of the carried colour, or None at a new shot (first frame, cut)."""
        s = self.settings
        if self.prev_gray is None or self.prev_gray.shape != gray.shape:
            return None
        if of.histogram_distance(hist, self.prev_hist) > s.cut_histogram:
            return None
        self._back = of.flow(gray, self.prev_gray)  # this frame -> the previous one
        reliable = of.consistent(self._back, of.flow(self.prev_gray, gray))
        matches = np.abs(of.warp(self.prev_gray, self._back).astype(np.float32) - gray) <= s.max_L_error * 2.55
        reliable &= matches
        if reliable.mean() < s.min_reliable:
            return None
        soft = cv2.blur(reliable.astype(np.float32), (3, 3))  # no seam where trust ends
        return s.carry * soft


def make_filter(mode: str) -> FlowFilter | None:
    """The filter for ``--temporal`` ``mode``: ``none`` (frames independent) or ``flow``."""
    if mode not in TEMPORAL_MODES:
        raise ConfigError(f"temporal mode must be one of {', '.join(TEMPORAL_MODES)}, not {mode!r}")
    return FlowFilter() if mode == "flow" else None
