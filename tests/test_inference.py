"""The fast full-resolution path gives the pixels of a plain float64 path, in stages the video path reuses, with
memory bounded by its chunks."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import skimage.color
import torch
import torch.nn.functional as F
from PIL import Image

from colorgan.color import lab_to_rgb, rgb_to_L_ab
from colorgan.color.uint8 import L_ab_to_uint8, rgb_to_L
from colorgan.inference import (
    colorize_frames,
    colorize_image,
    compose_rgb,
    frames_lightness,
    net_ab,
    upsample_ab,
    working_shape,
)
from colorgan.models.regression_module import RegressionColorizer
from colorgan.training.checkpoint import load_colorizer
from tests.conftest import ROOT, photo
from tests.test_gamut import SaturatedNet


def reference_colorize(model, rgb: np.ndarray, working_size: int) -> np.ndarray:
    """The path written plainly: skimage's L in float64, the net at its working shape, ab upsampled whole,
    Lab -> sRGB through the float lab_to_rgb (gamut mapped; tested against skimage and bisection), rounded."""
    h, w = rgb.shape[:2]
    L = torch.from_numpy(skimage.color.rgb2lab(rgb)[..., 0] / 50.0 - 1.0).float()[None, None]
    L_net = F.interpolate(L, size=working_shape(h, w, working_size), mode="bilinear", antialias=True)
    with torch.no_grad():
        ab = F.interpolate(model(L_net).float(), size=(h, w), mode="bilinear")
    out = lab_to_rgb(torch.cat([(L.double() + 1.0) * 50.0, ab.double() * model.ab_scale], dim=1))
    return np.floor(out[0].permute(1, 2, 0).double().numpy() * 255.0 + 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def saturated() -> RegressionColorizer:
    """A colorizer whose ab is fully saturated, every hue at every lightness: most colours out of gamut."""
    return RegressionColorizer(SaturatedNet(), optimizer=partial(torch.optim.SGD, lr=0.1)).eval()


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
def test_the_fast_path_gives_the_plain_paths_pixels_on_saturated_colours(saturated, name):
    rgb = photo(name)  # 512x512 and 400x600: several chunks, ab upsampled about 5x from the working size
    expected = reference_colorize(saturated, rgb, 96)
    got = np.asarray(colorize_image(saturated, Image.fromarray(rgb), 96))
    diff = np.abs(got.astype(int) - expected.astype(int))
    assert diff.max() <= 1, f"{(diff > 1).sum()} values more than one level off"
    assert (diff > 0).mean() < 0.01  # a level off only at rounding boundaries
    chroma = np.hypot(*skimage.color.rgb2lab(got)[..., 1:].transpose(2, 0, 1))
    assert np.median(chroma) > 30  # vivid: mostly mapped from outside the gamut


def test_a_trained_checkpoint_gives_the_plain_paths_pixels(checkpoints):
    model = load_colorizer(checkpoints["gan"])
    rgb = photo("astronaut")
    expected = reference_colorize(model, rgb, 64)
    got = np.asarray(colorize_image(model, Image.fromarray(rgb), 64))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


def test_lightness_matches_skimage_over_all_levels():
    levels = torch.arange(256, dtype=torch.uint8)
    grid = torch.stack(torch.meshgrid(levels[::5], levels[::3], levels, indexing="ij")).reshape(1, 3, 52 * 86, 256)
    expected = skimage.color.rgb2lab(grid[0].permute(1, 2, 0).numpy())[..., 0] / 50.0 - 1.0
    np.testing.assert_allclose(rgb_to_L(grid)[0, 0].numpy(), expected, atol=2e-5)  # 1e-3 L*


def test_uint8_batches_convert_to_skimages_L_ab():
    """The data path's batched conversion (uint8 on a CPU: table sums, in chunks) against skimage."""
    levels = torch.arange(256, dtype=torch.uint8)
    grid = torch.stack(torch.meshgrid(levels[::3], levels[::5], levels[::2], indexing="ij")).reshape(3, 86, 52 * 128)
    rgb = torch.stack([grid, grid.flip(0)])  # (2, 3, 86, 6656): two images, several chunks each
    L, ab = rgb_to_L_ab(rgb, ab_scale=110.0)
    for i in range(2):
        lab = skimage.color.rgb2lab(rgb[i].permute(1, 2, 0).numpy())
        np.testing.assert_allclose(L[i, 0].numpy(), lab[..., 0] / 50.0 - 1.0, atol=2e-5)
        np.testing.assert_allclose(ab[i].permute(1, 2, 0).numpy(), lab[..., 1:] / 110.0, atol=5e-5)


def test_uint8_output_rounds_the_float_formula():
    """Lab -> uint8 through the sRGB table agrees with the float formula rounded, to one level at rounding
    boundaries, on every L with in- and out-of-gamut ab; NaN gives black instead of an error."""
    g = torch.Generator().manual_seed(0)
    L = torch.rand(1, 1, 300, 300, generator=g) * 2 - 1
    ab = torch.randn(1, 2, 300, 300, generator=g) * 0.4
    expected = (lab_to_rgb(torch.cat([(L + 1) * 50, ab * 110], 1)) * 255 + 0.5).floor().to(torch.uint8)
    got = L_ab_to_uint8(L, ab).permute(0, 3, 1, 2)
    diff = (got.int() - expected.int()).abs()
    assert diff.max() <= 1 and (diff > 0).float().mean() < 0.002
    ab[..., 0, 0] = float("nan")
    assert (L_ab_to_uint8(L, ab)[0, 0, 0] == 0).all()


def test_frames_in_a_batch_come_out_as_the_photo_path_and_the_stages_compose(saturated):
    rgb = np.stack([photo("coffee"), photo("coffee")[::-1].copy()])  # two different frames
    frames = torch.from_numpy(rgb).permute(0, 3, 1, 2)  # (2, 3, 400, 600), strided like decoded video
    out = colorize_frames(saturated, frames, 64)
    assert out.shape == (2, 400, 600, 3) and out.dtype == torch.uint8
    for i in range(2):
        assert np.array_equal(out[i].numpy(), np.asarray(colorize_image(saturated, Image.fromarray(rgb[i]), 64)))
    L = frames_lightness(frames)
    ab = upsample_ab(net_ab(saturated, L, 64), (400, 600))
    assert net_ab(saturated, L, 64).shape == (2, 2, *working_shape(400, 600, 64))
    assert torch.equal(compose_rgb(L, ab, saturated.ab_scale), out)  # what a temporal filter would sit between


def test_strips_of_the_upsampled_ab_are_the_whole_upsampled_ab():
    ab_small = torch.rand(2, 2, 37, 53, generator=torch.Generator().manual_seed(0)) * 2 - 1  # ab's range, [-1, 1]
    whole = F.interpolate(ab_small, size=(401, 603), mode="bilinear", align_corners=False)
    strips = torch.cat([upsample_ab(ab_small, (401, 603), slice(r, min(401, r + 17))) for r in range(0, 401, 17)], 2)
    torch.testing.assert_close(strips, whole, atol=1e-5, rtol=0)  # measured 3.7e-6 apart: float32 weights


def run_module_code(code: str, *args: str) -> subprocess.CompletedProcess:
    """``python -c code args`` in a fresh process that imports this checkout's colorgan."""
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _memory_mb() -> dict[str, float]:
    text = Path("/proc/self/status").read_text()
    return {key: int(re.search(rf"{key}:\s+(\d+) kB", text)[1]) / 1024 for key in ("VmRSS", "VmHWM")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS reset through /proc/self/clear_refs")
def test_peak_memory_of_a_large_photo_is_its_pixels_not_float_copies(saturated):
    """A 12 MP photo: beyond the photo itself, the path holds its pixels (3 B), its L (4 B) and the output
    image (4 B) per pixel at most; full-resolution ab or colour temporaries (8-12 B each) would show."""
    w, h = 4000, 3000  # each full-resolution array is above glibc's mmap threshold: new memory, counted
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8))
    colorize_image(saturated, img.resize((64, 48)), 128)  # the gamut table and the buffers of a first call
    before = _memory_mb()["VmRSS"]
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from the current RSS
    colorize_image(saturated, img, 128)
    extra = (_memory_mb()["VmHWM"] - before) * 2**20 / (w * h)
    assert extra < 9.0, f"{extra:.1f} bytes per pixel"


_COMMAND_PEAK = """
import re, sys
from pathlib import Path
from colorgan.colorize import load_colorizer, load_rgb, save_image
from colorgan.inference import colorize_image

def memory():
    text = Path("/proc/self/status").read_text()
    return [int(re.search(key + r":\\s+(\\d+) kB", text)[1]) / 1024 for key in ("VmRSS", "VmHWM")]

ckpt, small, large, out = sys.argv[1:]
model = load_colorizer(ckpt)
save_image(colorize_image(model, load_rgb(small)), Path(out) / "small.jpg")  # every first allocation
before = memory()[0]
Path("/proc/self/clear_refs").write_text("5")
save_image(colorize_image(model, load_rgb(large)), Path(out) / "large.jpg")  # the command's path for one photo
print(memory()[1] - before)
"""


@pytest.mark.slow  # a fresh process and a 24 MP JPEG
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS reset through /proc/self/clear_refs")
def test_the_colorize_command_on_a_24mp_jpeg_costs_its_pixels_in_memory(checkpoints, tmp_path):
    """The colorize command's peak memory for a 6000 x 4000 JPEG, beyond what it held after a small one: the
    decoded photo, its L and the output image (about 12 bytes per pixel), never a float copy per channel
    (the path before chunking took over 30)."""
    from colorgan.benchmarks.stages import synthetic_photo

    small, large = (synthetic_photo(tmp_path / f"{w}.jpg", w, h) for w, h in ((600, 400), (6000, 4000)))
    done = run_module_code(_COMMAND_PEAK, str(checkpoints["gan"]), str(small), str(large), str(tmp_path / "out"))
    extra = float(done.stdout.strip().splitlines()[-1]) * 2**20 / (6000 * 4000)
    assert (tmp_path / "out" / "large.jpg").is_file()
    assert extra < 14, f"{extra:.1f} bytes per pixel"


def test_chunks_spread_over_threads_give_the_same_pixels_and_restore_torchs_threads(saturated):
    rgb = torch.from_numpy(photo("coffee")).permute(2, 0, 1)[None]
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = colorize_frames(saturated, rgb, 64)
        torch.set_num_threads(2)  # chunks on two threads, each chunk's operations on one
        assert torch.equal(colorize_frames(saturated, rgb, 64), one)
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError):
            compose_rgb(torch.zeros(1, 1, 400, 600), torch.zeros(1, 2, 300, 600), 110.0)  # mismatched shapes
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is read from /proc/self/status")
def test_the_benchmarked_commands_peak_is_its_own_not_its_parents():
    """A child started by fork keeps its parent's ru_maxrss across exec; the benchmark reads the command's own."""
    from colorgan.benchmarks.stages import run_command

    held = np.ones(400 * 2**20, dtype=np.uint8)  # 400 MB resident in this process when the command starts
    _, peak_mb, _ = run_command("json.tool", "--help")
    assert held.sum() > 0 and peak_mb < 100, f"{peak_mb:.0f} MB"
