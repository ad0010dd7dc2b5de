"""Reading a film with PyAV: its video frames as RGB uint8 in batches, its audio packets passed on untouched.

Memory is one batch of frames (and the decoder's own few), whatever the film's length. Timestamps start at
0 for every stream together (the container's start is subtracted, as ffmpeg does), so a film that starts
at 1.4 s, as broadcast captures do, keeps its sound in sync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from colorgan.data.walk import find_files
from colorgan.errors import VideoRejected
from colorgan.video import VIDEO_EXTENSIONS

log = logging.getLogger(__name__)

DEFAULT_RATE = Fraction(25)  # a stream that declares no rate at all (raw elementary streams): PAL's
OPEN_ERRORS = (av.FFmpegError, OSError, UnicodeDecodeError)


def find_videos(root: str | Path) -> list[Path]:
    """All video files below ``root`` (recursive, by extension, case-insensitive), sorted."""
    return find_files(root, VIDEO_EXTENSIONS, "video")


@dataclass
class FrameBatch:
    """Consecutive frames: ``rgb`` ``(N, H, W, 3)`` uint8, their ``pts`` and ``durations`` in the
    stream's time base (from 0, strictly increasing)."""

    rgb: np.ndarray
    pts: list[int]
    durations: list[int]


class VideoReader:
    """The first video stream of ``path`` (and every audio stream), opened for one pass; a context manager.

    A file that does not open, has no video stream, or whose video codec this FFmpeg build cannot decode
    is a ``VideoRejected`` naming it. Packets that fail to decode are skipped and counted (``corrupt``).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.container = av.open(str(self.path), metadata_errors="ignore")
        except OPEN_ERRORS as err:
            raise VideoRejected(self.path, f"cannot be opened as a video ({_reason(err)})") from err
        try:
            self.video = self._video_stream()
        except VideoRejected:
            self.container.close()
            raise
        self.video.thread_type = "AUTO"
        self.audio = [s for s in self.container.streams.audio if s.codec_context is not None]
        self.time_base: Fraction = self.video.time_base or Fraction(1, 90000)
        self.rate: Fraction = self.video.average_rate or self.video.guessed_rate or DEFAULT_RATE
        self.start = (self.container.start_time or 0) / 1e6  # seconds: subtracted from every stream
        self.corrupt = 0
        self.frames_read = 0
        self.size: tuple[int, int] | None = None  # (H, W) of the first frame: every frame is delivered at it
        self._last_pts: int | None = None
        self.rotation = 0  # degrees counter-clockwise a player turns the frames (a phone's display matrix)

    def _video_stream(self) -> av.VideoStream:
        streams = list(self.container.streams.video)
        if not streams:
            raise VideoRejected(self.path, "has no video stream")
        for stream in streams:
            if stream.codec_context is not None and stream.codec_context.name not in ("", "none"):
                return stream
        raise VideoRejected(self.path, "its video codec is not supported by this FFmpeg build (PyAV's)")

    @property
    def expected_frames(self) -> int:
        """The frame count the header promises, or its estimate from the duration; 0 when unknown."""
        if self.video.frames:
            return int(self.video.frames)
        seconds = self.container.duration / 1e6 if self.container.duration else None
        return round(seconds * self.rate) if seconds else 0

    def offset(self, time_base: Fraction) -> int:
        """The film's start in ``time_base`` units (what every timestamp loses)."""
        return round(self.start / time_base) if time_base else 0

    def batches(self, size: int, on_audio: Callable[[av.Packet], None] | None = None) -> Iterator[FrameBatch]:
        """Frames in batches of ``size`` (the last may be shorter); audio packets go to ``on_audio`` as met."""
        frames: list[av.VideoFrame] = []
        for frame in self._frames(on_audio):
            frames.append(frame)
            if len(frames) == size:
                yield self._batch(frames)
                frames = []
        if frames:
            yield self._batch(frames)
        if self.frames_read == 0:
            raise VideoRejected(self.path, "has no video frames that could be decoded")
        if self.corrupt:
            log.warning("%s: %d packets could not be decoded and were skipped", self.path, self.corrupt)

    def _frames(self, on_audio: Callable[[av.Packet], None] | None) -> Iterator[av.VideoFrame]:
        streams = [self.video, *(self.audio if on_audio else [])]
        packets = self.container.demux(*streams)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.FFmpegError as err:  # a truncated or damaged file: what came before is kept
                log.warning("%s: reading stopped after %d frames: %s", self.path, self.frames_read, _reason(err))
                return
            if packet.stream.index != self.video.index:
                on_audio(packet)  # the empty packets at the end flush a decoder
                continue
            try:
                decoded = packet.decode()
            except av.FFmpegError:
                self.corrupt += 1
                continue
            for frame in decoded:
                self.frames_read += 1
                yield frame

    def _batch(self, frames: list[av.VideoFrame]) -> FrameBatch:
        if self.size is None:
            self.size, self.rotation = (frames[0].height, frames[0].width), int(frames[0].rotation or 0)
        h, w = self.size  # a stream that changes size mid-way is scaled back to its first size
        rgb = np.stack([f.to_ndarray(format="rgb24", width=w, height=h) for f in frames])
        step = max(1, round(1 / (self.rate * self.time_base)))  # one frame at the nominal rate
        pts, durations = [], []
        for f in frames:
            t = None if f.pts is None else f.pts - self.offset(self.time_base)
            if self._last_pts is not None and (t is None or t <= self._last_pts):  # missing or repeated
                t = self._last_pts + step
            self._last_pts = t = 0 if t is None else t
            pts.append(t)
            durations.append(int(f.duration) if f.duration else step)
        return FrameBatch(rgb, pts, durations)

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _reason(err: BaseException) -> str:
    """FFmpeg's words for an error, without PyAV's errno prefix and repeated file name."""
    text = getattr(err, "strerror", None) or str(err)
    return text.strip() or type(err).__name__
