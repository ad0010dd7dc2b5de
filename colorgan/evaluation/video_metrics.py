"""How much a colorized film flickers: the warping error of Lai et al. and the colour distribution consistency
(CDC) of Liu et al., frame by frame in one pass, with the motion taken from the true colour frames.

- ``warp_error`` (Lai et al., "Learning Blind Video Temporal Consistency", ECCV 2018, Sec. 5.1 and their
  evaluate_WarpError.py): the mean over consecutive frames of the squared difference between output frame
  t-1 and output frame t warped back along the flow t-1 -> t, over the pixels (and RGB channels, in [0, 1])
  that the forward-backward check keeps. The flow is OpenCV's Farneback on the true frames (theirs: FlowNet2);
  pixels whose flow leaves the frame are masked too.
- ``cdc`` (Liu et al., "Temporally Consistent Video Colorization", 2021, and their compute_hist.py): the
  Jensen-Shannon divergence (natural log) of the 256-bin histograms of frames 1, 2 and 4 apart, averaged over
  the pairs, the three distances (weights 1/3) and the R, G, B channels. ``cdc_ab`` is the same over the a and
  b channels of Lab (1 unit bins over -128..127): the colour alone, since every row shares the true L.

Pairs of frames across a scene cut (found on the true frames) are left out of both: across a cut nothing
should stay the same.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import torch

from colorgan.color import rgb_to_lab
from colorgan.video import flow as of
from colorgan.video.temporal import FlowSettings

CDC_DISTANCES = (1, 2, 4)  # Liu et al.: frames 1, 2 and 4 apart, weighted 1/3 each


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence (nats) of histograms along the last axis (each normalized to sum 1)."""
    p = p / p.sum(axis=-1, keepdims=True)
    q = q / q.sum(axis=-1, keepdims=True)
    m = 0.5 * (p + q)

    def kl(a: np.ndarray) -> np.ndarray:
        return np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / np.where(a > 0, m, 1.0)), 0.0).sum(axis=-1)

    return 0.5 * kl(p) + 0.5 * kl(q)


def rgb_histograms(rgb: np.ndarray) -> np.ndarray:
    """``(3, 256)`` counts of the R, G and B values of a frame ``(H, W, 3)`` uint8."""
    return np.stack([np.bincount(rgb[..., c].reshape(-1), minlength=256) for c in range(3)]).astype(np.float64)


def ab_histograms(rgb: np.ndarray) -> np.ndarray:
    """``(2, 256)`` counts of the a and b values (Lab, D65) of a frame ``(H, W, 3)`` uint8, 1 unit bins from -128."""
    lab = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None])[0, 1:]  # (2, H, W)
    index = (lab.floor() + 128).clamp(0, 255).long().reshape(2, -1).numpy()
    return np.stack([np.bincount(index[c], minlength=256) for c in range(2)]).astype(np.float64)


@dataclass(frozen=True)
class Motion:
    """The true motion from frame t-1 to frame t: the flow ``(H, W, 2)``, the pixels of t-1 it is reliable
    for ``(H, W)`` bool, and whether t starts a new shot."""

    flow: np.ndarray
    reliable: np.ndarray
    cut: bool


def true_motion(prev: np.ndarray, frame: np.ndarray, settings: FlowSettings | None = None) -> Motion:
    """The motion between two true frames ``(H, W, 3)`` uint8, estimated on their gray versions; a cut is
    what ends a shot for the temporal filter (a histogram jump, or too little reliable flow)."""
    settings = settings or FlowSettings()
    a, b = (np.ascontiguousarray(f.mean(axis=-1, dtype=np.float32).round().astype(np.uint8)) for f in (prev, frame))
    forward = of.flow(a, b)
    reliable = of.consistent(forward, of.flow(b, a))
    jump = of.histogram_distance(of.histogram(a), of.histogram(b)) > settings.cut_histogram
    return Motion(forward, reliable, jump or reliable.mean() < settings.min_reliable)


class StabilityMeter:
    """Feed one film's frames in order (``add``); ``result()`` gives its warp_error, cdc and cdc_ab."""

    def __init__(self):
        self.prev: np.ndarray | None = None
        self.recent: deque[tuple[int, np.ndarray, np.ndarray]] = deque(maxlen=max(CDC_DISTANCES))  # (shot, rgb, ab)
        self.shot = 0
        self.errors: list[float] = []
        self.js: dict[str, dict[int, list[float]]] = {k: {d: [] for d in CDC_DISTANCES} for k in ("cdc", "cdc_ab")}

    def add(self, rgb: np.ndarray, motion: Motion | None) -> None:
        """Frame t ``(H, W, 3)`` uint8 and the true motion from frame t-1 (None for the first frame)."""
        current = rgb.astype(np.float32) / 255.0
        if motion is not None and motion.cut:
            self.shot += 1
        elif motion is not None and self.prev is not None:
            self.errors.append(warping_error(self.prev, current, motion))
        hists = (rgb_histograms(rgb), ab_histograms(rgb))
        for d in CDC_DISTANCES:
            if len(self.recent) >= d and self.recent[-d][0] == self.shot:
                for key, old, new in zip(self.js, self.recent[-d][1:], hists):
                    self.js[key][d].append(float(js_divergence(old, new).mean()))
        self.recent.append((self.shot, *hists))
        self.prev = current

    def result(self) -> dict[str, float]:
        """NaN where a film has no pair to compare (one frame, or cuts only)."""
        out = {"warp_error": float(np.mean(self.errors)) if self.errors else float("nan")}
        for key, by_distance in self.js.items():
            means = [np.mean(v) for v in by_distance.values() if v]
            out[key] = float(np.mean(means)) if len(means) == len(CDC_DISTANCES) else float("nan")
        return out


def warping_error(prev: np.ndarray, current: np.ndarray, motion: Motion) -> float:
    """Lai et al.'s error of one pair: frames ``(H, W, 3)`` float in [0, 1]; ``current`` warped onto
    ``prev`` along ``motion``; mean squared difference over reliable pixels and channels (all when none is)."""
    diff = (of.warp(current, motion.flow) - prev) ** 2
    mask = motion.reliable
    return float(diff[mask].mean()) if mask.any() else float(diff.mean())
