"""Test films without downloads: a virtual camera moving over real photographs.

Shot one pans across the first photo while zooming in; at the cut, shot two zooms out over the second
photo while panning up. Each frame is the photo seen through the camera's window (an affine warp), so the
true motion is smooth and known, and the true colours are the photos'. Written through PyAV at any size,
frame rate, codec and pixel format, optionally with variable frame timing and a sine-tone audio track.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

TONE_HZ = 440.0
SAMPLE_RATE = 48000


@dataclass(frozen=True)
class Move:
    """A camera move over one photo: the window's centre (fractions of the photo's width and height) and
    its width (fraction of the largest window of the film's aspect that fits), at the start and the end."""

    start: tuple[float, float, float]
    end: tuple[float, float, float]


SHOT_ONE = Move(start=(0.35, 0.5, 0.7), end=(0.65, 0.45, 0.55))  # pan right, zoom in
SHOT_TWO = Move(start=(0.5, 0.6, 0.55), end=(0.5, 0.4, 0.8))  # zoom out, pan up
MOVE_SECONDS = 2.0  # a whole move takes this long: a shorter shot makes part of it, at the same speed


@dataclass(frozen=True)
class FilmInfo:
    path: Path
    frames: int
    cut: int  # the first frame of shot two
    size: tuple[int, int]  # (width, height)
    seconds: float


def _ease(t: float) -> float:
    return t * t * (3.0 - 2.0 * t)  # smoothstep: the camera starts and stops gently


def shot_frames(
    photo: np.ndarray, move: Move, size: tuple[int, int], n: int, span: float = 1.0
) -> Iterator[np.ndarray]:
    """``n`` frames ``(H, W, 3)`` uint8 of ``photo`` ``(h, w, 3)`` filmed at ``size`` (W, H) along the first
    ``span`` (0-1) of ``move``."""
    width, height = size
    h, w = photo.shape[:2]
    full = min(w, h * width / height)  # the widest window of the film's aspect inside the photo
    smallest = min(move.start[2], move.end[2]) * full / width  # photo pixels per film pixel, most zoomed in
    pre = min(1.0, 1.0 / smallest)  # shrink the photo once so the film never samples it sparser than 1:1.5
    small = photo if pre == 1.0 else cv2.resize(photo, None, fx=pre, fy=pre, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    for i in range(n):
        t = _ease(i / max(1, n - 1)) * span
        cx, cy, zoom = (a + (b - a) * t for a, b in zip(move.start, move.end))
        window = zoom * full * pre  # window width in the shrunk photo's pixels
        scale = window / width
        x0 = np.clip(cx * sw - window / 2, 0, sw - window)
        y0 = np.clip(cy * sh - window * height / width / 2, 0, sh - window * height / width)
        film_to_photo = np.float32([[scale, 0, x0 + 0.5 * scale - 0.5], [0, scale, y0 + 0.5 * scale - 0.5]])
        yield cv2.warpAffine(
            small, film_to_photo, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        )  # fmt: skip


def film_frames(
    photos: tuple[np.ndarray, np.ndarray], size: tuple[int, int], n: int, cut: int, fps: float = 24
) -> Iterator[np.ndarray]:
    """Shot one (``cut`` frames over ``photos[0]``), then shot two (the rest, over ``photos[1]``), the camera
    moving at the speed of a whole move in ``MOVE_SECONDS``."""
    for photo, move, frames in ((photos[0], SHOT_ONE, cut), (photos[1], SHOT_TWO, n - cut)):
        yield from shot_frames(photo, move, size, frames, min(1.0, (frames - 1) / (MOVE_SECONDS * fps)))


def write_test_film(
    path: str | Path,
    photos: tuple[np.ndarray, np.ndarray],
    size: tuple[int, int] = (128, 72),
    seconds: float = 1.0,
    fps: int = 24,
    cut_at: float = 0.5,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    audio: str | None = None,
    variable_rate: bool = False,
    options: dict[str, str] | None = None,
) -> FilmInfo:
    """Film ``photos`` into ``path`` (the container from its suffix): ``seconds`` at ``fps``, cut at the
    ``cut_at`` fraction; ``audio``: an audio codec (``aac``, ``pcm_s16le``...) for a tone track, or None.
    ``variable_rate``: frames last 25 ms and 50 ms in turn (timestamps in ms; ``fps`` is then only declared)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = max(2, round(seconds * fps))
    cut = max(1, min(n - 1, round(n * cut_at)))
    out = av.open(str(path), "w")
    video = out.add_stream(codec, rate=fps, options=options or {})
    video.width, video.height, video.pix_fmt = *size, pix_fmt
    time_base = Fraction(1, 1000) if variable_rate else Fraction(1, fps)
    video.codec_context.time_base = time_base
    tone = out.add_stream(audio, rate=SAMPLE_RATE) if audio else None
    if tone is not None:
        tone.layout = "mono"
    pts = 0
    for i, rgb in enumerate(film_frames(photos, size, n, cut, fps)):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)
        frame.pts, frame.time_base = pts, time_base
        pts += (25 if i % 2 == 0 else 50) if variable_rate else 1
        out.mux(video.encode(frame))
    out.mux(video.encode(None))
    duration = float(pts * time_base)
    if tone is not None:
        write_tone(out, tone, duration)
    out.close()
    return FilmInfo(path, n, cut, size, duration)


def write_tone(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    """A 440 Hz sine of ``seconds``, mono, in the stream's sample format."""
    fmt = stream.format.name
    chunk = stream.codec_context.frame_size or 1024  # known once the encoder is open: AAC's is 1024
    total = round(seconds * SAMPLE_RATE)
    for start in range(0, total, chunk):
        t = np.arange(start, min(total, start + chunk)) / SAMPLE_RATE
        wave = (0.3 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)[None]
        if fmt.startswith("s16"):
            wave = (wave * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave, format=fmt, layout="mono")
        frame.sample_rate, frame.pts = SAMPLE_RATE, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
