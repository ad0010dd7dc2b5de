"""Reference values computed by hand."""

import math

import numpy as np
import pytest
import skimage.color
import torch

from colorgan import metrics
from colorgan.color import gray_rgb, rgb_to_L_ab
from colorgan.metrics.ciede2000 import delta_e_ciede2000
from tests.conftest import photo


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


def test_auc_counts_thresholds_exactly():
    # a pixel at distance d is within max(0, 151 - ceil(d)) of the thresholds 0..150
    d = torch.tensor([0.0, 0.5, 10.0, 150.0, 151.0, 400.0]).view(1, 1, 6)
    expected = (151 + 150 + 141 + 1 + 0 + 0) / 6 / 151
    assert metrics.auc_ab(d).item() == pytest.approx(expected)
    brute = torch.stack([(d <= t).float().mean() for t in range(151)]).mean()
    assert metrics.auc_ab(d).item() == pytest.approx(brute.item())


def test_ciede2000_matches_sharma_reference_pairs_and_skimage():
    # Sharma, Wu & Dalal (2005), test data pairs 1, 7 and 17
    lab1 = torch.tensor([[50.0, 2.6772, -79.7751], [50.0, 0.0, 0.0], [50.0, 2.5, 0.0]]).T.reshape(1, 3, 3, 1)
    lab2 = torch.tensor([[50.0, 0.0, -82.7485], [50.0, -1.0, 2.0], [73.0, 25.0, -18.0]]).T.reshape(1, 3, 3, 1)
    got = delta_e_ciede2000(lab1, lab2).flatten().tolist()
    assert got == pytest.approx([2.0425, 2.3669, 27.1492], abs=1e-4)
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.uniform(0, 100, (500, 1)), rng.uniform(-110, 110, (500, 2))], axis=1)
    b = np.concatenate([rng.uniform(0, 100, (500, 1)), rng.uniform(-110, 110, (500, 2))], axis=1)
    a[:50, 1:] = 0  # neutral colours take the special cases
    ours = delta_e_ciede2000(torch.from_numpy(a).T[None, :, :, None], torch.from_numpy(b).T[None, :, :, None])
    np.testing.assert_allclose(ours.flatten().numpy(), skimage.color.deltaE_ciede2000(a, b), atol=1e-8)


def test_suite_on_a_perfect_and_a_gray_prediction():
    rgb = torch.from_numpy(photo("chelsea", 64)).permute(2, 0, 1)[None].float() / 255
    perfect = metrics.colorization_metrics(rgb, rgb)
    assert set(perfect) == set(metrics.METRIC_NAMES)
    assert perfect["l1_ab"].item() < 0.01 and perfect["delta_e2000"].item() < 0.01 and perfect["auc"].item() > 0.99
    assert perfect["delta_colorfulness"].item() == pytest.approx(0.0, abs=1e-3)
    L, _ = rgb_to_L_ab(rgb)
    gray = metrics.colorization_metrics(gray_rgb(L), rgb)
    assert gray["colorfulness"].item() < 0.1 and gray["delta_colorfulness"].item() < -20
    assert gray["l1_ab"].item() > 5 and gray["auc"].item() < perfect["auc"].item()
