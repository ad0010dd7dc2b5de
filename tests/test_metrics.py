"""Reference values computed by hand."""

import math

import pytest
import torch

from colorgan import metrics


def solid(r, g, b, h=4, w=4) -> torch.Tensor:
    return torch.tensor([r, g, b]).view(1, 3, 1, 1).expand(1, 3, h, w) / 255.0


def test_colorfulness_of_gray_is_zero():
    assert metrics.colorfulness(solid(90, 90, 90)).item() == pytest.approx(0.0, abs=1e-4)


def test_colorfulness_of_solid_red():
    # rg = 255, yb = 127.5 everywhere: no spread, M = 0.3 * sqrt(255^2 + 127.5^2)
    assert metrics.colorfulness(solid(255, 0, 0)).item() == pytest.approx(0.3 * math.hypot(255, 127.5), rel=1e-5)


def test_colorfulness_of_half_red_half_black():
    # rg in {255, 0}, yb in {127.5, 0}: mean = std = (127.5, 63.75), M = 1.3 * hypot(127.5, 63.75)
    img = torch.cat([solid(255, 0, 0, 2, 4), solid(0, 0, 0, 2, 4)], dim=2)
    assert metrics.colorfulness(img).item() == pytest.approx(1.3 * math.hypot(127.5, 63.75), rel=1e-5)


def test_colorfulness_is_signed_not_absolute():
    # opposite hues cancel in the mean of the signed channels, not in the absolute variant
    img = torch.cat([solid(255, 0, 0, 2, 4), solid(0, 255, 0, 2, 4)], dim=2)
    rg_std = 255.0
    yb_std = 0.0
    assert metrics.colorfulness(img).item() == pytest.approx(math.hypot(rg_std, yb_std) + 0.3 * 127.5, rel=1e-5)


def test_psnr_uses_data_range_one():
    target = torch.full((2, 3, 8, 8), 0.5)
    assert metrics.psnr(target + 0.1, target).tolist() == pytest.approx([20.0, 20.0], rel=1e-4)


def test_ssim_is_one_for_identical_images_and_lower_otherwise():
    img = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert metrics.ssim(img, img).tolist() == pytest.approx([1.0, 1.0], abs=1e-5)
    assert (metrics.ssim(img.flip(-1), img) < 0.5).all()


def test_l1_ab_is_in_lab_units():
    ab = torch.zeros(1, 2, 4, 4)
    assert metrics.l1_ab(ab + 0.1, ab, ab_scale=110.0).item() == pytest.approx(11.0)
