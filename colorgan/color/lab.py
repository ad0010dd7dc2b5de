"""Batched sRGB <-> CIE Lab (D65) in torch: the formulas, without gamut mapping.

The formulas follow scikit-image's ``rgb2lab`` / ``lab2rgb`` (same matrices, white point and
linear segments), so results agree with the classic per-image path to float32 precision. All
functions take channel-first batches ``(B, 3, H, W)`` and run on whatever device the batch is on.
"""

from __future__ import annotations

import torch
from torch import Tensor

# pix2pix's constants: L in [0, 100] -> [-1, 1]; ab in about [-110, 110] -> [-1, 1].
L_SCALE = 50.0
AB_SCALE = 110.0

# sRGB (linear) -> XYZ, D65; identical to skimage.color.colorconv.xyz_from_rgb.
_XYZ_FROM_RGB = torch.tensor(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ],
    dtype=torch.float64,
)
_RGB_FROM_XYZ = torch.linalg.inv(_XYZ_FROM_RGB)
_WHITE_D65 = (0.95047, 1.0, 1.08883)  # skimage's illuminant "D65", observer "2"
_EPS = 0.008856  # (6/29)^3 as skimage rounds it
_KAPPA = 7.787


def _mix(x: Tensor, matrix: Tensor) -> Tensor:
    """Apply a 3x3 colour matrix over the channel axis of ``(B, 3, H, W)`` (a batched matmul)."""
    return (matrix.to(x) @ x.reshape(x.shape[0], 3, -1)).view(x.shape)


def srgb_to_linear(rgb: Tensor) -> Tensor:
    return torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055).pow(2.4), rgb / 12.92)


def _linear_from_uint8(rgb: Tensor) -> Tensor:
    """sRGB uint8 -> linear float32 through a 256-entry table (3x cheaper than the power law)."""
    table = srgb_to_linear(torch.arange(256, dtype=torch.float64, device=rgb.device) / 255.0).float()
    return table[rgb.long()]


def _white(x: Tensor) -> Tensor:
    return torch.tensor(_WHITE_D65, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)


@torch.autocast("cuda", enabled=False)
@torch.autocast("cpu", enabled=False)
def rgb_to_lab(rgb: Tensor) -> Tensor:
    """sRGB ``(B, 3, H, W)``, uint8 or float in [0, 1] -> Lab: L in [0, 100], a and b in about [-128, 127]."""
    if rgb.dtype == torch.uint8:
        linear = _linear_from_uint8(rgb)
    else:
        linear = srgb_to_linear(rgb.float().clamp(0.0, 1.0))
    xyz = _mix(linear, _XYZ_FROM_RGB) / _white(linear)
    f = torch.where(xyz > _EPS, xyz.clamp_min(_EPS).pow(1.0 / 3.0), _KAPPA * xyz + 16.0 / 116.0)
    fx, fy, fz = f.unbind(dim=1)
    L = 116.0 * fy - 16.0
    a = 500.0 * (fx - fy)
    b = 200.0 * (fy - fz)
    return torch.stack([L, a, b], dim=1)


def lab_to_linear(L: Tensor, ab: Tensor) -> Tensor:
    """``L (B, 1, H, W)`` and ``ab (B, 2, H, W)`` -> linear sRGB ``(B, 3, H, W)``, unclipped (skimage's
    formulas: out-of-gamut colours come out below 0 or above 1)."""
    fy = (L[:, 0] + 16.0) / 116.0
    f = torch.stack([fy + ab[:, 0] / 500.0, fy, (fy - ab[:, 1] / 200.0).clamp_min(0.0)], dim=1)
    xyz = torch.where(f > 0.2068966, f * f * f, (f - 16.0 / 116.0) / _KAPPA) * _white(L)
    return _mix(xyz, _RGB_FROM_XYZ)


def linear_to_srgb(linear: Tensor) -> Tensor:
    return torch.where(linear > 0.0031308, 1.055 * linear.clamp_min(0.0031308).pow(1.0 / 2.4) - 0.055, 12.92 * linear)
