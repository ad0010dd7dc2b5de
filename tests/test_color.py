import warnings

import numpy as np
import pytest
import skimage.color
import torch

from colorgan.color import AB_SCALE, L_ab_to_rgb, gray_rgb, lab_to_rgb, rgb_to_L_ab, rgb_to_lab
from tests.conftest import photo


def nchw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x).permute(0, 3, 1, 2).float()


def nhwc(x: torch.Tensor) -> np.ndarray:
    return x.permute(0, 2, 3, 1).double().numpy()


def edge_rgb() -> np.ndarray:
    """Black, white, primaries, secondaries, near-black values on the linear segment, mid gray."""
    values = [0, 1, 1e-4, 0.04045, 0.5]
    corners = np.array(np.meshgrid(*[values] * 3)).reshape(3, -1).T
    return corners.reshape(1, 5, 25, 3)


@pytest.mark.parametrize("rgb", [np.random.default_rng(0).random((3, 9, 11, 3)), edge_rgb(), photo()[None] / 255.0])
def test_rgb_to_lab_matches_skimage(rgb):
    expected = np.stack([skimage.color.rgb2lab(x) for x in rgb])
    np.testing.assert_allclose(nhwc(rgb_to_lab(nchw(rgb))), expected, atol=2e-3)


def test_lab_to_rgb_matches_skimage_in_gamut():
    """Inside sRGB nothing is mapped: skimage's lab2rgb exactly (out of gamut: tests/test_gamut.py)."""
    rng = np.random.default_rng(1)
    lab = np.concatenate([rng.uniform(0, 100, (2, 32, 32, 1)), rng.uniform(-80, 80, (2, 32, 32, 2))], axis=-1)
    lab[0, 0, :3] = [[0, 0, 0], [100, 0, 0], [50, 0, 0]]  # black, white, gray
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skimage warns about the negative Z it clips
        expected = np.stack([skimage.color.lab2rgb(x) for x in lab])
        inside = np.abs(np.stack([skimage.color.rgb2lab(x) for x in expected]) - lab).max(axis=-1) < 1e-3
    assert 0.2 < inside.mean() < 0.9  # both kinds present; only the unclipped ones are compared
    got = nhwc(lab_to_rgb(nchw(lab)))
    np.testing.assert_allclose(got[inside], expected[inside], atol=1e-4)


def test_round_trip_through_normalized_L_ab():
    rgb = torch.from_numpy(photo()).permute(2, 0, 1)[None]  # uint8
    L, ab = rgb_to_L_ab(rgb)
    assert L.shape == (1, 1, *rgb.shape[-2:]) and ab.shape == (1, 2, *rgb.shape[-2:])
    assert L.min() >= -1 and L.max() <= 1 and ab.abs().max() <= 1
    back = L_ab_to_rgb(L, ab) * 255
    assert (back - rgb.float()).abs().max() < 0.6  # within rounding of the uint8 input


def test_ab_scale_changes_the_normalization_not_the_colour():
    rgb = torch.from_numpy(photo()).permute(2, 0, 1)[None]
    _, ab110 = rgb_to_L_ab(rgb)
    L, ab128 = rgb_to_L_ab(rgb, ab_scale=128.0)
    torch.testing.assert_close(ab128 * 128.0, ab110 * AB_SCALE)
    torch.testing.assert_close(L_ab_to_rgb(L, ab128, ab_scale=128.0), L_ab_to_rgb(L, ab110), atol=1e-5, rtol=0)


def test_generator_extremes_give_finite_gradients():
    L = torch.linspace(-1, 1, 64).view(1, 1, 8, 8)
    ab = torch.tensor([1.0, -1.0]).view(1, 2, 1, 1).expand(1, 2, 8, 8).clone().requires_grad_(True)
    rgb = L_ab_to_rgb(L, ab)
    rgb.sum().backward()
    assert torch.isfinite(rgb).all() and torch.isfinite(ab.grad).all()


def test_gray_has_no_chroma():
    L = torch.rand(2, 1, 5, 7) * 2 - 1
    rgb = gray_rgb(L)
    # skimage's D65 white and sRGB matrix disagree in the 5th decimal, so "neutral" is neutral to 1e-4
    assert torch.allclose(rgb[:, 0], rgb[:, 1], atol=1e-4) and torch.allclose(rgb[:, 1], rgb[:, 2], atol=1e-4)
    _, ab = rgb_to_L_ab(rgb)
    assert ab.abs().max() < 1e-3


def test_conversion_ignores_autocast():
    rgb = torch.rand(1, 3, 8, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        lab = rgb_to_lab(rgb)
    assert lab.dtype == torch.float32
    torch.testing.assert_close(lab, rgb_to_lab(rgb))
