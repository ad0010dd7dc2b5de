"""Test films for the video tests: generated from scikit-image's photos (colorgan.video.synthetic), and the
broken and odd files a user brings (truncated, no video stream, no frames, an unknown codec, garbage)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import photo

av = pytest.importorskip("av", reason="PyAV is not installed (pip install 'colorgan[video]')")
pytest.importorskip("cv2", reason="OpenCV is not installed (pip install 'colorgan[video]')")

from colorgan.video.synthetic import write_test_film, write_tone  # noqa: E402

PHOTOS = (photo("chelsea"), photo("coffee"))


def film(path: Path, **kwargs) -> Path:
    """A generated test film (default 128x72, 1 s at 24 fps, a cut at 0.5 s); ``kwargs`` as write_test_film's."""
    write_test_film(path, PHOTOS, **kwargs)
    return path


def decoded(path: Path) -> tuple[np.ndarray, list[float]]:
    """Every frame ``(T, H, W, 3)`` uint8 of ``path`` and its time in seconds."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    return np.stack([f.to_ndarray(format="rgb24") for f in frames]), [float(f.time) for f in frames]


def probe(path: Path) -> tuple[int, tuple[int, int], list[float]]:
    """Frame count, (height, width) and frame times of ``path``, decoded one frame at a time."""
    with av.open(str(path)) as container:
        times, shape = [], (0, 0)
        for frame in container.decode(video=0):
            times.append(float(frame.time))
            shape = (frame.height, frame.width)
    return len(times), shape, times


def audio_seconds(path: Path) -> float:
    """The decoded length of the first audio stream of ``path``, in seconds (0 without one)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return 0.0
        frames = list(container.decode(audio=0))
    return sum(f.samples for f in frames) / frames[0].sample_rate


def odd_files(folder: Path) -> dict[str, Path]:
    """Broken and odd inputs by name: what each is made of is in its builder below."""
    folder.mkdir(parents=True, exist_ok=True)
    whole = film(folder / "whole.mkv", seconds=2.0)
    data = whole.read_bytes()
    files = {
        "truncated_mkv": folder / "truncated.mkv",  # the first half: 20-odd frames decode
        "truncated_mp4": folder / "truncated.mp4",  # no index (moov) at the end: nothing decodes
        "garbage": folder / "garbage.mov",
        "unknown_codec": folder / "unknown_codec.mkv",  # the codec id renamed: FFmpeg knows no decoder
        "audio_only": folder / "audio_only.m4a",
        "no_frames": folder / "no_frames.mkv",  # a video stream without a single frame (and some sound)
    }
    files["truncated_mkv"].write_bytes(data[: len(data) // 2])
    files["truncated_mp4"].write_bytes(film(folder / "whole.mp4").read_bytes()[:3000])
    files["garbage"].write_bytes(b"\x00\x00\x00\x18ftypqt  " + bytes(range(256)) * 4)
    files["unknown_codec"].write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_XXXXX/ISO/XYZ"))
    for path, with_video in ((files["audio_only"], False), (files["no_frames"], True)):
        with av.open(str(path), "w") as out:
            if with_video:
                video = out.add_stream("libx264", rate=24)
                video.width, video.height = 64, 48
            tone = out.add_stream("aac", rate=48000)
            tone.layout = "mono"
            write_tone(out, tone, 0.5)
    return files
