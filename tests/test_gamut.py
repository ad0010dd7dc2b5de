"""Out-of-gamut colours keep the requested L* and hue: chroma is reduced in LCh, not RGB clipped per channel."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
import skimage.color
import torch
from PIL import Image
from torch import Tensor, nn

import colorgan.color.gamut
from colorgan.color import INSIDE_LINEAR, lab_to_rgb, rgb_to_lab
from colorgan.color.gamut import _bisect_scale, _inside
from colorgan.color.lab import lab_to_linear, linear_to_srgb
from colorgan.inference import colorize_image, frames_lightness
from colorgan.models.regression_module import RegressionColorizer
from tests.conftest import photo


def lch(lab: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(B, 3, H, W)`` Lab -> L*, chroma, hue (radians)."""
    L, a, b = lab.unbind(dim=1)
    return L, torch.hypot(a, b), torch.atan2(b, a)


def hue_error_deg(h1: Tensor, h2: Tensor) -> Tensor:
    return (torch.remainder(h1 - h2 + math.pi, 2 * math.pi) - math.pi).abs().rad2deg()


def skimage_linear(lab: np.ndarray) -> np.ndarray:
    """Unclipped linear sRGB of Lab (..., 3) by skimage's own formulas (an independent reference)."""
    return skimage.color.lab2xyz(lab) @ skimage.color.colorconv.rgb_from_xyz.T


def test_the_issues_example_keeps_its_lightness_and_hue():
    # Lab(60, 90, -100): chroma 134.5 at hue -48.0 deg, far outside sRGB. Clipping each RGB channel
    # (skimage's lab2rgb, and colorgan before) gives sRGB (0.752, 0.273, 1.0) = Lab(54.8, 75.3, -70.2).
    lab = torch.tensor([60.0, 90.0, -100.0]).view(1, 3, 1, 1)
    rgb = lab_to_rgb(lab)
    L, C, h = lch(rgb_to_lab(rgb))
    assert L.item() == pytest.approx(60.0, abs=0.01)
    assert math.degrees(h.item()) == pytest.approx(math.degrees(math.atan2(-100, 90)), abs=0.01)
    assert rgb_to_lab((rgb * 255 + 0.5).to(torch.uint8))[0, 0].item() == pytest.approx(60.0, abs=0.1)
    # As much chroma as sRGB has at that L* and hue: blue is at its maximum, and 0.5% more chroma
    # would not fit (checked with skimage's formulas, not ours).
    assert rgb[0, 2].item() == pytest.approx(1.0, abs=1e-4) and 0.3 < rgb[0, 0].item() < rgb[0, 2].item()
    s = C.item() / math.hypot(90, 100)
    assert 0.5 < s < 0.7  # chroma 134.5 -> 83.3
    inside = skimage_linear(np.array([60, 90 * s, -100 * s]))
    beyond = skimage_linear(np.array([60, 90 * s * 1.005, -100 * s * 1.005]))
    assert inside.min() >= 0 and inside.max() <= 1 + 1e-3 and beyond.max() > 1 + 1e-3


def random_lab(n: int = 64, seed: int = 0) -> Tensor:
    """``(1, 3, n, n)``: L* uniform in [0, 100], a and b uniform in [-128, 128] (most of it out of gamut)."""
    g = torch.Generator().manual_seed(seed)
    L, ab = torch.rand(1, 1, n, n, generator=g) * 100, (torch.rand(1, 2, n, n, generator=g) * 2 - 1) * 128
    return torch.cat([L, ab], dim=1)


@pytest.mark.parametrize("path", ["table", "bisection alone"])
def test_out_of_gamut_colours_keep_L_and_hue_at_the_gamut_boundary(path, monkeypatch):
    if path == "bisection alone":  # the fallback for where the table overshoots, tried on every colour
        monkeypatch.setattr(colorgan.color.gamut, "_table_scale", lambda L, ab: torch.ones_like(L))
    lab = random_lab()
    outside = ~_inside(lab_to_linear(lab[:, :1], lab[:, 1:]), dim=1)
    assert outside.float().mean() > 0.5
    rgb = lab_to_rgb(lab)
    assert rgb.min() >= 0 and rgb.max() <= 1
    L, C, h = lch(rgb_to_lab(rgb))
    L0, C0, h0 = lch(lab)
    assert (L - L0).abs().max() < 0.2  # the final clamp moves less than half a uint8 step
    assert (L - L0).abs().mean() < 0.02
    assert (C <= C0 + 0.01).all()
    colourful = outside & (C > 2)
    assert hue_error_deg(h, h0)[colourful].max() < 0.5
    # on the surface of the gamut (some channel at 0 or 1), not desaturated further than needed
    # (within a few uint8 steps here; to the chroma unit in the next test)
    edge = (rgb.amin(dim=1) < 0.02) | (rgb.amax(dim=1) > 0.98)
    assert edge[outside].all()


def test_the_table_finds_the_chroma_bisection_finds():
    """The max-chroma table (bilinear between points 0.5 L* and 0.5 degrees apart) against bisecting
    every colour: equal to a small fraction of a chroma unit almost everywhere."""
    lab = random_lab(96, seed=1)
    outside = ~_inside(lab_to_linear(lab[:, :1], lab[:, 1:]), dim=1)[0]
    L, ab = lab[0, 0][outside], lab[0, 1:][:, outside]
    exact = _bisect_scale(L, ab, torch.ones_like(L), 24) * torch.hypot(ab[0], ab[1])  # to linear RGB in [0, 1]
    _, C, _ = lch(rgb_to_lab(lab_to_rgb(lab)))
    diff = (C[0][outside] - exact).abs()
    assert torch.quantile(diff, 0.99) < 0.3 and diff.median() < 0.05
    assert INSIDE_LINEAR[0] > -2e-4 and INSIDE_LINEAR[1] < 1.005  # half a uint8 step at most


def test_colours_just_inside_the_gamut_are_left_exactly_as_they_are():
    """Where the table undershoots (the boundary bends inward between its points), a colour that was
    inside all along must not lose chroma."""
    g = torch.Generator().manual_seed(2)
    L, hue = torch.rand(4000, generator=g) * 90 + 5, torch.rand(4000, generator=g) * 2 * math.pi
    unit = torch.stack([hue.cos(), hue.sin()])
    chroma = _bisect_scale(L, unit * 200, torch.ones_like(L), 30) * 200 * (1 - 1e-4)  # just inside
    lab = torch.cat([L[None], unit * chroma]).view(1, 3, -1, 1)
    unmapped = linear_to_srgb(lab_to_linear(lab[:, :1], lab[:, 1:])).clamp(0, 1)
    torch.testing.assert_close(lab_to_rgb(lab), unmapped, atol=1e-6, rtol=0)


class SaturatedNet(nn.Module):
    """Fully saturated ab (|a|, |b| up to 1: chroma up to 155) whose hue sweeps across the image and with L."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(()))  # colorize_image reads the device from the parameters

    def forward(self, L: Tensor) -> Tensor:
        x = torch.linspace(0, 2 * math.pi, L.shape[-1]).view(1, 1, 1, -1)
        theta = x + 3 * L  # (B, 1, H, W): every hue at every lightness
        return (torch.cat([torch.cos(theta), torch.sin(theta)], dim=1) * 1.5).clamp(-1, 1)  # a tanh head, saturated


def test_a_real_photo_colorized_with_saturated_ab_keeps_its_lightness_and_hue():
    model = RegressionColorizer(SaturatedNet(), optimizer=partial(torch.optim.SGD, lr=0.1)).eval()
    rgb = photo("coffee")  # (400, 600, 3)
    out = np.array(colorize_image(model, Image.fromarray(rgb), working_size=rgb.shape[0]))
    lab_in, lab_out = (rgb_to_lab(torch.from_numpy(x).permute(2, 0, 1)[None]) for x in (rgb, out))
    dL = (lab_out[:, 0] - lab_in[:, 0]).abs()
    assert torch.quantile(dL.flatten(), 0.99) <= 1.0 and dL.max() < 2.0
    with torch.no_grad():
        ab_hat = model(frames_lightness(torch.from_numpy(rgb).permute(2, 0, 1)[None]))  # what the net asked for
    _, C, h = lch(lab_out)
    colourful = (C > 20) & (lab_in[:, 0] > 5) & (lab_in[:, 0] < 95)
    assert colourful.float().mean() > 0.5
    err = hue_error_deg(h, torch.atan2(ab_hat[:, 1], ab_hat[:, 0]))[colourful]
    assert torch.quantile(err, 0.99) < 3.0 and err.median() < 0.5


def test_outside_share_counts_the_colours_gamut_mapping_changes():
    """Four colours: inside, inside within the final clamp's tolerance (1.003), below 0, above 1.0044."""
    from colorgan.color.gamut import outside_share

    linear = torch.tensor([[0.5, 1.003, -0.01, 0.2], [0.5, 0.5, 0.5, 1.01], [0.5, 0.0, 0.5, 0.5]]).view(1, 3, 2, 2)
    assert outside_share(linear) == 0.5
