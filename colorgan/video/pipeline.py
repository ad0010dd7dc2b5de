"""Colorizing a film: frames stream from the decoder through the net in batches and on to the encoder.

Per batch: full-resolution L of each frame -> the net's ab at its working size -> the temporal filter
(optional, on that small ab) -> ab upsampled to the frame -> composed with the frame's own L. Memory is
one batch of frames, whatever the film's length.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm import tqdm

from colorgan.color import L_SCALE
from colorgan.inference import compose_frames, frames_lightness, net_ab
from colorgan.models.colorizer import Colorizer
from colorgan.video.reader import VideoReader
from colorgan.video.temporal import FlowFilter, make_filter
from colorgan.video.writer import VideoWriter

log = logging.getLogger(__name__)
DEFAULT_BATCH = 8  # frames per pass: 1080p costs ~40 MB a frame in flight


@dataclass
class FilmResult:
    """What was done: frames written, the film's size (W, H), where a new shot began, packets skipped."""

    frames: int = 0
    size: tuple[int, int] = (0, 0)
    cuts: list[int] = field(default_factory=list)
    corrupt: int = 0


def filtered_ab(temporal: FlowFilter, L: Tensor, ab: Tensor) -> Tensor:
    """``ab`` ``(N, 2, h, w)`` through ``temporal`` frame by frame, with L ``(N, 1, H, W)`` brought to ``(h, w)``."""
    L_small = F.interpolate(L, size=ab.shape[-2:], mode="bilinear", align_corners=False, antialias=True)
    L_star = ((L_small[:, 0].float() + 1.0) * L_SCALE).cpu().numpy()  # (N, h, w), 0-100
    ab_np = ab.float().cpu().numpy()
    return torch.from_numpy(np.stack([temporal(L_star[i], ab_np[i]) for i in range(len(ab_np))])).to(ab.device)


@torch.no_grad()
def colorize_batch(
    model: Colorizer, rgb: np.ndarray, temporal: FlowFilter | None = None, working_size: int | None = None
) -> np.ndarray:
    """Colorized frames ``(N, H, W, 3)`` uint8 of consecutive RGB frames ``rgb`` ``(N, H, W, 3)`` uint8;
    ``temporal`` carries colour from the frames before (its state runs on across calls)."""
    device = next(model.parameters()).device
    frames = torch.from_numpy(rgb).permute(0, 3, 1, 2).to(device)  # (N, 3, H, W) uint8
    L = frames_lightness(frames)  # (N, 1, H, W), full resolution
    ab = net_ab(model, L, working_size)  # (N, 2, h, w), the net's working size
    if temporal is not None:
        ab = filtered_ab(temporal, L, ab)
    return compose_frames(L, ab, model.ab_scale).cpu().numpy()  # ab upsampled a strip at a time


def colorize_film(
    model: Colorizer,
    src: str | Path,
    dst: str | Path,
    temporal: str = "flow",
    batch: int = DEFAULT_BATCH,
    working_size: int | None = None,
    progress: bool = True,
) -> FilmResult:
    """Colorize the film ``src`` into the MP4 ``dst``: same frame size, timestamps and audio. A film that
    cannot be read or has no frames raises ``VideoRejected`` naming it, and leaves no ``dst``."""
    if batch < 1:
        raise ValueError(f"batch must be at least 1 frame, not {batch}")
    flow = make_filter(temporal)
    result = FilmResult()
    with VideoReader(src) as reader:
        writer = VideoWriter(dst, reader)
        bar = tqdm(total=reader.expected_frames or None, unit="frame", desc=Path(src).name, disable=not progress)
        try:
            for frames in reader.batches(batch, writer.audio_packet):
                frames.rgb = colorize_batch(model, frames.rgb, flow, working_size)
                writer.write(frames)
                bar.update(len(frames.pts))
            writer.close()
        except BaseException:
            writer.abort()
            raise
        finally:
            bar.close()
        h, w = reader.size or (0, 0)
        result = FilmResult(reader.frames_read, (w, h), flow.cuts if flow else [], reader.corrupt)
    log.debug("%s -> %s: %d frames, %dx%d", src, dst, result.frames, w, h)
    return result
