"""The one normalization of (L, ab) the models see: ``L / 50 - 1`` and ``ab / ab_scale``."""

from __future__ import annotations

import torch
from torch import Tensor

from colorgan.color.gamut import lab_to_rgb
from colorgan.color.lab import AB_SCALE, L_SCALE, lab_to_linear, linear_to_srgb, rgb_to_lab


def rgb_to_L_ab(rgb: Tensor, ab_scale: float = AB_SCALE) -> tuple[Tensor, Tensor]:
    """RGB batch (uint8 in [0, 255] or float in [0, 1]) -> normalized ``L (B,1,H,W)``, ``ab (B,2,H,W)``.

    ``L / 50 - 1`` and ``ab / ab_scale`` (110 by default; some baselines trained with 128 or 127).
    """
    lab = rgb_to_lab(rgb)
    return lab[:, :1] / L_SCALE - 1.0, lab[:, 1:] / ab_scale


def L_ab_to_rgb(L: Tensor, ab: Tensor, ab_scale: float = AB_SCALE) -> Tensor:
    """Normalized ``L (B,1,H,W)`` and ``ab (B,2,H,W)`` -> sRGB in [0, 1] ``(B, 3, H, W)``."""
    lab = torch.cat([(L.float() + 1.0) * L_SCALE, ab.float() * ab_scale], dim=1)
    return lab_to_rgb(lab)


@torch.autocast("cuda", enabled=False)
@torch.autocast("cpu", enabled=False)
def gray_rgb(L: Tensor) -> Tensor:
    """The gray image of a normalized L (ab = 0), as sRGB in [0, 1]: the trivial baseline. Gray is
    always inside the gamut, so no gamut mapping: pure tensor ops, which also run on meta tensors
    (the precision probe counts FusionNet's FLOPs, whose classifier sees this image, that way)."""
    Lstar = ((L.float() + 1.0) * L_SCALE).clamp(0.0, 100.0)
    linear = lab_to_linear(Lstar, torch.zeros_like(Lstar).expand(-1, 2, -1, -1))
    return linear_to_srgb(linear).clamp(0.0, 1.0)
