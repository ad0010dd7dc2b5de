"""colorize takes films: same size, timing and sound, each frame its own lightness, bounded memory, one
line per broken file."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

pytest.importorskip("av", reason="PyAV is not installed (pip install 'colorgan[video]')")
pytest.importorskip("cv2", reason="OpenCV is not installed (pip install 'colorgan[video]')")

from colorgan.benchmark import main as benchmark_main  # noqa: E402
from colorgan.color import rgb_to_L_ab  # noqa: E402
from colorgan.colorize import main as colorize_main  # noqa: E402
from colorgan.inference import colorize_frames  # noqa: E402
from colorgan.training.checkpoint import load_colorizer  # noqa: E402
from colorgan.video.pipeline import colorize_batch  # noqa: E402
from colorgan.video.synthetic import film_frames  # noqa: E402
from colorgan.video.temporal import FlowFilter  # noqa: E402
from tests.conftest import ROOT, photo  # noqa: E402
from tests.films import PHOTOS, audio_seconds, decoded, film, odd_files, probe  # noqa: E402


def L_of(rgb: np.ndarray) -> torch.Tensor:
    """Normalized L ``(N, 1, H, W)`` of frames ``(N, H, W, 3)`` uint8."""
    return rgb_to_L_ab(torch.from_numpy(rgb).permute(0, 3, 1, 2))[0]


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return np.stack(list(film_frames(PHOTOS, (96, 54), 16, 8)))


def test_each_frame_keeps_its_own_lightness(checkpoints, frames):
    model = load_colorizer(checkpoints["gan"])
    out = colorize_frames(model, torch.from_numpy(frames).permute(0, 3, 1, 2)).numpy()
    assert out.shape == frames.shape
    assert (L_of(out) - L_of(frames)).abs().mean() < 0.01  # 8-bit rounding and gamut mapping only


def test_the_filter_state_runs_across_batches(checkpoints, frames):
    """Colour carried along the flow does not depend on where the batches end. The net is made to flicker
    (+0.3 a on even frames, -0.3 on odd), so that what is carried matters."""
    model = load_colorizer(checkpoints["gan"])
    net, seen = model.forward, [0]

    def flickering(L: torch.Tensor) -> torch.Tensor:
        signs = torch.tensor([(-1.0) ** (seen[0] + i) for i in range(len(L))]).view(-1, 1, 1, 1)
        seen[0] += len(L)
        return net(L) + 0.3 * torch.cat([signs, torch.zeros_like(signs)], dim=1)

    model.forward = flickering
    runs = []
    for size, flow in ((3, FlowFilter()), (16, FlowFilter()), (16, None)):
        seen[0] = 0
        runs.append(np.concatenate([colorize_batch(model, frames[s : s + size], flow) for s in range(0, 16, size)]))
    assert np.abs(runs[0].astype(int) - runs[1]).max() <= 1
    assert np.abs(runs[1].astype(int) - runs[2]).mean() > 3  # the filter did carry colour


def test_a_film_is_colorized_with_its_size_timing_sound_and_lightness(checkpoints, tmp_path):
    src = film(tmp_path / "in" / "reel.mkv", size=(96, 54), seconds=0.5, audio="pcm_s16le")
    assert colorize_main(["--ckpt", str(checkpoints["gan"]), str(src), "--out", str(tmp_path / "out")]) == 0
    (before, t_before), (after, t_after) = decoded(src), decoded(tmp_path / "out" / "reel.mp4")
    assert after.shape == before.shape and t_after == pytest.approx(t_before, abs=1e-6)
    assert audio_seconds(tmp_path / "out" / "reel.mp4") == pytest.approx(audio_seconds(src), abs=2 * 1024 / 48000)
    assert (L_of(after) - L_of(before)).abs().mean() < 0.02  # the frame's own L, through H.264 twice
    assert rgb_to_L_ab(torch.from_numpy(after).permute(0, 3, 1, 2))[1].abs().mean() > 0.01  # and colour


def test_films_photos_and_broken_files_in_one_call(checkpoints, tmp_path, capsys):
    src = tmp_path / "reels"
    film(src / "reel.mp4", size=(64, 36), seconds=0.25)
    from PIL import Image

    Image.fromarray(photo("rocket", 40)).save(src / "still.png")
    broken = odd_files(tmp_path / "odd")
    for name in ("garbage", "unknown_codec", "no_frames"):
        broken[name].rename(src / broken[name].name)
    code = colorize_main(["--ckpt", str(checkpoints["gan"]), str(src), "--out", str(src), "--temporal", "none"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    for name, reason in [("garbage.mov", "cannot be opened"), ("unknown_codec.mkv", "codec"), ("no_frames", "frames")]:
        assert re.search(rf"failed: .*{name}.*{reason}", err), err
    assert (src / "reel-2.mp4").is_file() and (src / "still-2.png").is_file()  # beside, never over, the inputs
    assert sorted(p.name for p in src.iterdir() if p.name.startswith(".")) == []  # no partial files left


def test_a_film_that_fails_half_way_leaves_nothing(checkpoints, tmp_path, monkeypatch):
    from colorgan.video import pipeline

    src = film(tmp_path / "reel.mp4", size=(64, 36), seconds=0.5, audio="aac")  # sound: the file is begun
    calls = []

    def fails_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("out of memory")
        return colorize_batch(*args, **kwargs)

    monkeypatch.setattr(pipeline, "colorize_batch", fails_on_the_second_batch)
    with pytest.raises(RuntimeError):
        pipeline.colorize_film(load_colorizer(checkpoints["gan"]), src, tmp_path / "out.mp4", batch=4, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reel.mp4"]  # no output, no partial file


def test_batch_and_temporal_options_are_checked(checkpoints, tmp_path):
    for bad in (["--batch", "0"], ["--temporal", "smooth"]):
        with pytest.raises(SystemExit) as exit_:
            colorize_main(["--ckpt", str(checkpoints["gan"]), "x.mp4", *bad])
        assert exit_.value.code == 2


def colorize_peak_rss(ckpt, src, out) -> int:
    """Peak resident memory (kB) of a process that colorizes ``src``."""
    script = (
        "import resource, sys; from colorgan.colorize import main; "
        f"code = main(['--ckpt', {str(ckpt)!r}, {str(src)!r}, '--out', {str(out)!r}]); "
        "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-2000:]
    return int(re.search(r"PEAK (\d+)", run.stdout).group(1))


@pytest.mark.slow
def test_a_1080p_film_with_sound_in_memory_independent_of_its_length(checkpoints, tmp_path):
    fast = {"preset": "ultrafast"}
    peaks = {}
    for seconds in (10, 4):
        src = film(tmp_path / f"{seconds}s.mp4", size=(1920, 1080), seconds=seconds, audio="aac", options=fast)
        peaks[seconds] = colorize_peak_rss(checkpoints["gan"], src, tmp_path / "out")
        count, shape, times = probe(tmp_path / "out" / f"{seconds}s.mp4")
        assert (count, shape) == (seconds * 24, (1080, 1920)) and times == pytest.approx(probe(src)[2], abs=1e-6)
        assert audio_seconds(tmp_path / "out" / f"{seconds}s.mp4") == pytest.approx(seconds, abs=0.05)
    assert peaks[10] < 1.1 * peaks[4], peaks  # 2.5 times the film, not 2.5 times the memory


@pytest.mark.slow
def test_odd_and_broken_films_through_the_command(checkpoints, tmp_path, capsys):
    folder = tmp_path / "reels"
    broken = odd_files(folder)
    good = {
        "vfr.mkv": dict(variable_rate=True),
        "odd_size.mkv": dict(size=(67, 45), codec="ffv1", pix_fmt="yuv444p"),
        "ten_bit.mkv": dict(codec="libx265", pix_fmt="yuv420p10le", options={"x265-params": "log-level=error"}),
        "pcm.mov": dict(audio="pcm_s16le"),
        "vp9.webm": dict(codec="libvpx-vp9", audio="libopus"),
        "late.ts": dict(audio="aac"),
    }
    for name, options in good.items():
        film(folder / name, seconds=0.5, **options)
    (folder / "whole.mp4").unlink()  # whole.mkv's output is whole.mp4
    code = colorize_main(["--ckpt", str(checkpoints["gan"]), str(folder), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    failed = {line.split(":")[1].strip() for line in err.splitlines() if line.startswith("failed:")}
    names = ("garbage", "truncated_mp4", "unknown_codec", "no_frames")
    assert failed == {str(broken[n]) for n in names}, err
    for src in [*(folder / n for n in good), folder / "whole.mkv", broken["truncated_mkv"]]:
        count, shape, times = probe(tmp_path / "out" / src.with_suffix(".mp4").name)
        expected = probe(src)  # times from the first frame (an MPEG-TS's late start is taken off)
        assert (count, shape) == expected[:2], src.name
        assert np.subtract(times, times[0]) == pytest.approx(np.subtract(expected[2], expected[2][0]), abs=2e-3)


def test_benchmark_video_reports_frames_per_second_per_mode(capsys):
    benchmark_main("video --model mse_cnn --size 32 --batch 4 --film-size 64x36 --seconds 0.25".split())
    output = capsys.readouterr().out
    record = json.loads(output.strip().splitlines()[-1])
    assert record["frames"] == 6 and record["film"] == "64x36" and record["unit"] == "frames/s"
    assert record["images_per_s"] > 0 and record["baseline_images_per_s"] > 0 and "--temporal none" in output
