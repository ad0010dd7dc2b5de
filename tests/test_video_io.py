"""Reading and writing films: timestamps, size and sound kept; odd and broken files end in one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av", reason="PyAV is not installed (pip install 'colorgan[video]')")
pytest.importorskip("cv2", reason="OpenCV is not installed (pip install 'colorgan[video]')")

from colorgan.errors import VideoRejected  # noqa: E402
from colorgan.video.reader import VideoReader  # noqa: E402
from colorgan.video.synthetic import film_frames  # noqa: E402
from colorgan.video.writer import VideoWriter  # noqa: E402
from tests.films import PHOTOS, audio_seconds, decoded, film, odd_files  # noqa: E402

AAC_FRAME = 1024 / 48000  # seconds: sound is cut and padded in AAC frames


def rewrite(src: Path, dst: Path, batch: int = 5) -> int:
    """Read ``src`` and write its frames unchanged to ``dst`` with its sound; the frames read."""
    with VideoReader(src) as reader:
        writer = VideoWriter(dst, reader)
        try:
            for frames in reader.batches(batch, writer.audio_packet):
                assert len(frames.rgb) <= batch
                writer.write(frames)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        return reader.frames_read


@pytest.fixture(scope="module")
def odd(tmp_path_factory) -> dict[str, Path]:
    return odd_files(tmp_path_factory.mktemp("odd"))


def test_a_film_keeps_its_frames_timestamps_size_and_sound(tmp_path):
    src = film(tmp_path / "in.mp4", audio="aac")
    assert rewrite(src, tmp_path / "out.mp4") == 24
    (before, t_before), (after, t_after) = decoded(src), decoded(tmp_path / "out.mp4")
    assert after.shape == before.shape == (24, 72, 128, 3)
    assert t_after == pytest.approx(t_before, abs=1e-6)
    assert np.abs(after.astype(int) - before).mean() < 3  # two lossy encodings of the same frames
    assert audio_seconds(tmp_path / "out.mp4") == pytest.approx(audio_seconds(src), abs=AAC_FRAME)


def test_variable_frame_timing_is_kept(tmp_path):
    src = film(tmp_path / "vfr.mkv", variable_rate=True, seconds=0.5)
    rewrite(src, tmp_path / "vfr.mp4")
    times = decoded(tmp_path / "vfr.mp4")[1]
    assert times == pytest.approx(decoded(src)[1], abs=1e-6)
    assert set(np.round(np.diff(times), 3)) == {0.025, 0.05}


def test_sound_that_mp4_cannot_hold_is_reencoded_to_aac(tmp_path):
    src = film(tmp_path / "pcm.mkv", audio="pcm_s16le")
    rewrite(src, tmp_path / "pcm.mp4")
    with av.open(str(tmp_path / "pcm.mp4")) as out:
        assert out.streams.audio[0].codec_context.name == "aac"
    assert audio_seconds(tmp_path / "pcm.mp4") == pytest.approx(audio_seconds(src), abs=2 * AAC_FRAME)


def test_odd_sized_films_keep_their_size(tmp_path):
    src = film(tmp_path / "odd.mkv", size=(67, 45), codec="ffv1", pix_fmt="yuv444p", seconds=0.25)
    rewrite(src, tmp_path / "odd.mp4")
    assert decoded(tmp_path / "odd.mp4")[0].shape[1:] == (45, 67, 3)


def test_a_phone_film_keeps_its_display_rotation(tmp_path):
    src = tmp_path / "phone.mp4"
    with av.open(str(src), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height = 64, 48
        stream.set_display_rotation(90)
        for rgb in film_frames(PHOTOS, (64, 48), 4, 2):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode(None))
    rewrite(src, tmp_path / "out.mp4")
    with av.open(str(tmp_path / "out.mp4")) as out:
        frame = next(out.decode(video=0))
    assert (frame.rotation, frame.width, frame.height) == (90, 64, 48)


def test_ten_bit_films_are_read_as_their_colours(tmp_path):
    options = {"crf": "8", "x265-params": "log-level=error"}
    src = film(tmp_path / "10bit.mkv", codec="libx265", pix_fmt="yuv420p10le", seconds=0.25, options=options)
    truth = np.stack(list(film_frames(PHOTOS, (128, 72), 6, 3)))
    with VideoReader(src) as reader:
        rgb = np.concatenate([b.rgb for b in reader.batches(4)])
    with av.open(str(src)) as c:  # FFmpeg's own 16-bit RGB of the same frames
        rgb48 = np.stack([f.to_ndarray(format="rgb48le") for f in c.decode(video=0)])
    assert rgb.shape == truth.shape == rgb48.shape
    assert np.abs(rgb - rgb48 / 257.0).mean() < 1.5  # the 8-bit frames are the 10-bit ones, rounded
    assert np.abs(rgb.astype(int) - truth).mean() < 3.5  # 4:2:0 chroma costs ~2.5


def test_a_film_that_starts_late_keeps_its_sound_in_sync(tmp_path):
    src = film(tmp_path / "late.ts", audio="aac")  # MPEG-TS starts its clocks above 0

    def starts(path: Path) -> tuple[float, float]:
        """When the first video frame and the first sound are shown, in seconds."""
        with av.open(str(path)) as c:
            video = next(c.decode(video=0))
        with av.open(str(path)) as c:
            audio = next(c.decode(audio=0))
        return float(video.time), float(audio.time)

    before = starts(src)
    assert min(before) > 0
    rewrite(src, tmp_path / "late.mp4")
    after = starts(tmp_path / "late.mp4")
    assert after[0] - after[1] == pytest.approx(before[0] - before[1], abs=AAC_FRAME)
    assert min(after) == pytest.approx(0, abs=AAC_FRAME)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("garbage", "cannot be opened as a video"),
        ("truncated_mp4", "cannot be opened as a video"),
        ("unknown_codec", "codec is not supported"),
        ("audio_only", "has no video stream"),
        ("no_frames", "no video frames"),
    ],
)
def test_broken_films_end_in_one_clear_error_and_leave_nothing(odd, tmp_path, name, reason):
    with pytest.raises(VideoRejected, match=reason) as err:
        rewrite(odd[name], tmp_path / "out.mp4")
    assert str(odd[name]) in str(err.value)
    assert list(tmp_path.iterdir()) == []  # no output, no partial file


def test_a_truncated_film_gives_the_frames_before_the_cut(odd, tmp_path):
    frames = rewrite(odd["truncated_mkv"], tmp_path / "out.mp4")
    assert 10 <= frames < 48
    assert len(decoded(tmp_path / "out.mp4")[0]) == frames
