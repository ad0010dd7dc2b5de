"""Batched sRGB <-> CIE Lab (D65) in torch, and the one normalization of (L, ab) the models see.

The formulas follow scikit-image's ``rgb2lab`` / ``lab2rgb`` (same matrices, white point and
linear segments), so results agree with the classic per-image path to float32 precision. All
functions take channel-first batches ``(B, 3, H, W)`` and run on whatever device the batch is on.
"""

from __future__ import annotations

import math
from functools import cache

import torch
import torch.nn.functional as F
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

# Gamut mapping. A colour counts as inside sRGB while clamping its linear RGB to [0, 1] moves no
# channel by more than half a uint8 step of the output (0.5 / 255 / 12.92 at 0, 1 - linear(1 - 0.5 / 255)
# at 1): the final clamp then stays below 8-bit rounding (< 0.2 L*), and float error and skimage's
# white (linear (1.0000, 1.0000, 1.0001) through its own matrix) are inside.
INSIDE_LINEAR = (-1.5e-4, 1.0044)
_PROBE_CHROMA = 200.0  # more than sRGB's largest chroma (134, a blue)
_TABLE_SIZE = (201, 720)  # the max-chroma table: L* every 0.5, hue every 0.5 degrees
_BISECTION_STEPS = 12  # the chroma scale to 1/4096: finer than 8-bit output resolves
_TABLE_UNDERSHOOT = 0.02  # scales this close to 1 are checked: the colour may have been inside all along


def _mix(x: Tensor, matrix: Tensor) -> Tensor:
    """Apply a 3x3 colour matrix over the channel axis of ``(B, 3, H, W)`` (a batched matmul)."""
    return (matrix.to(x) @ x.reshape(x.shape[0], 3, -1)).view(x.shape)


def _srgb_to_linear(rgb: Tensor) -> Tensor:
    return torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055).pow(2.4), rgb / 12.92)


def _linear_from_uint8(rgb: Tensor) -> Tensor:
    """sRGB uint8 -> linear float32 through a 256-entry table (3x cheaper than the power law)."""
    table = _srgb_to_linear(torch.arange(256, dtype=torch.float64, device=rgb.device) / 255.0).float()
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
        linear = _srgb_to_linear(rgb.float().clamp(0.0, 1.0))
    xyz = _mix(linear, _XYZ_FROM_RGB) / _white(linear)
    f = torch.where(xyz > _EPS, xyz.clamp_min(_EPS).pow(1.0 / 3.0), _KAPPA * xyz + 16.0 / 116.0)
    fx, fy, fz = f.unbind(dim=1)
    L = 116.0 * fy - 16.0
    a = 500.0 * (fx - fy)
    b = 200.0 * (fy - fz)
    return torch.stack([L, a, b], dim=1)


def _lab_to_linear(L: Tensor, ab: Tensor) -> Tensor:
    """``L (B, 1, H, W)`` and ``ab (B, 2, H, W)`` -> linear sRGB ``(B, 3, H, W)``, unclipped (skimage's
    formulas: out-of-gamut colours come out below 0 or above 1)."""
    fy = (L[:, 0] + 16.0) / 116.0
    f = torch.stack([fy + ab[:, 0] / 500.0, fy, (fy - ab[:, 1] / 200.0).clamp_min(0.0)], dim=1)
    xyz = torch.where(f > 0.2068966, f * f * f, (f - 16.0 / 116.0) / _KAPPA) * _white(L)
    return _mix(xyz, _RGB_FROM_XYZ)


def _inside(linear: Tensor, dim: int, bounds: tuple[float, float] = INSIDE_LINEAR) -> Tensor:
    return ((linear >= bounds[0]) & (linear <= bounds[1])).all(dim=dim)


def _linear_of(L: Tensor, ab: Tensor) -> Tensor:
    """Pixels as columns: ``L (N,)``, ``ab (2, N)`` -> linear sRGB ``(3, N)``."""
    return _lab_to_linear(L.view(1, 1, -1, 1), ab.reshape(1, 2, -1, 1)).view(3, -1)


def _bisect_scale(L: Tensor, ab: Tensor, high: Tensor, steps: int) -> Tensor:
    """The largest ``s`` in [0, high] (to high / 2**steps) with ``(L, s * ab)`` exactly inside sRGB (linear
    RGB in [0, 1]: nothing left for the final clamp to change); columns as in ``_linear_of``. The lower
    end is returned, so the result is always inside (s = 0, the neutral axis, is)."""
    low = torch.zeros_like(high)
    for _ in range(steps):
        mid = (low + high) * 0.5
        inside = _inside(_linear_of(L, ab * mid), dim=0, bounds=(0.0, 1.0))
        low, high = torch.where(inside, mid, low), torch.where(inside, high, mid)
    return low


@cache
def _max_chroma_table(device: torch.device) -> Tensor:
    """``(1, 1, 201, 721)``: the largest chroma inside sRGB at L* = 0, 0.5, ..., 100 (rows) and hue 0,
    0.5, ..., 360 degrees (columns; the last repeats the first). Built on first use: 0.15 M bisections of 16 steps.

    Its points lie on the exact boundary, so that interpolating between them, which overshoots where
    the boundary bends, stays within the tolerance of ``INSIDE_LINEAR`` for all but about 2 colours
    in 100 000 (measured on uniformly random Lab).
    """
    n_L, n_h = _TABLE_SIZE
    L = torch.linspace(0.0, 100.0, n_L, device=device).repeat_interleave(n_h)
    hue = torch.arange(n_h, device=device).repeat(n_L) * (2 * math.pi / n_h)
    ab = torch.stack([hue.cos(), hue.sin()]) * _PROBE_CHROMA
    table = (_bisect_scale(L, ab, torch.ones_like(L), 16) * _PROBE_CHROMA).view(n_L, n_h)
    return torch.cat([table, table[:, :1]], dim=1)[None, None]


@torch.no_grad()
def _table_scale(L: Tensor, ab: Tensor) -> Tensor:
    """``(B, 1, H, W)``: the share of each pixel's chroma that fits by the max-chroma table (1: all of it)."""
    hue = torch.remainder(torch.atan2(ab[:, 1], ab[:, 0]), 2 * math.pi)  # (B, H, W)
    grid = torch.stack([hue / math.pi - 1.0, L[:, 0] / 50.0 - 1.0], dim=-1).view(1, 1, -1, 2)  # x: hue, y: L*
    most = F.grid_sample(_max_chroma_table(L.device), grid, mode="bilinear", align_corners=True).view(L.shape)
    chroma = torch.hypot(ab[:, :1], ab[:, 1:])
    return torch.where(chroma > most, most / chroma, 1.0)


@torch.no_grad()
def _table_errors(L: Tensor, ab: Tensor, scale: Tensor, linear: Tensor) -> tuple[Tensor, Tensor] | None:
    """Where the table was wrong, ``(mask (B, H, W), corrected scales (N,))``, or None. Bilinear between
    its points it overshoots where the boundary bends outward (the colour is still outside: bisected
    below) and undershoots where it bends inward (a colour inside all along was cut: it keeps all its
    chroma, so in-gamut colours convert exactly as without mapping)."""
    missed = ~_inside(linear, dim=1)
    cut = ((scale < 1.0) & (scale > 1.0 - _TABLE_UNDERSHOOT))[:, 0]
    fix = missed | cut
    if not bool(fix.any()):
        return None
    L_f, ab_f, s_f = L[:, 0][fix], ab.transpose(0, 1)[:, fix], scale[:, 0][fix]  # (N,), (2, N), (N,)
    kept = cut[fix] & _inside(_linear_of(L_f, ab_f), dim=0)
    s_f = torch.where(kept, 1.0, s_f)
    bisect = missed[fix] & ~kept
    if bool(bisect.any()):
        s_f[bisect] = _bisect_scale(L_f[bisect], ab_f[:, bisect], s_f[bisect], _BISECTION_STEPS)
    return fix, s_f


def _linear_to_srgb(linear: Tensor) -> Tensor:
    return torch.where(linear > 0.0031308, 1.055 * linear.clamp_min(0.0031308).pow(1.0 / 2.4) - 0.055, 12.92 * linear)


@torch.autocast("cuda", enabled=False)
@torch.autocast("cpu", enabled=False)
def lab_to_rgb(lab: Tensor) -> Tensor:
    """Lab ``(B, 3, H, W)`` -> sRGB in [0, 1], with the requested L* and hue kept.

    In-gamut colours convert exactly as skimage's ``lab2rgb``. An out-of-gamut colour (a generator
    can predict any ab) is brought inside by reducing its chroma at fixed L* and hue (CIE LCh) to the
    most that fits, so that the output keeps the input's lightness instead of what per-channel
    clipping leaves of it (Lab(60, 90, -100) would come back at L* 54.8). Differentiable in ab (the
    scale is a constant).
    """
    lab = lab.float()
    L, ab = lab[:, :1].clamp(0.0, 100.0), lab[:, 1:]
    scale = _table_scale(L, ab)  # (B, 1, H, W), a constant for autograd
    linear = _lab_to_linear(L, ab * scale)  # (B, 3, H, W)
    errors = _table_errors(L, ab, scale, linear)
    if errors is not None:  # recomputed where the table was wrong or unsure (0.4-0.7% of random Lab)
        fix, s = errors
        patch = _linear_of(L[:, 0][fix], ab.transpose(0, 1)[:, fix] * s).T  # (N, 3)
        linear = linear.permute(0, 2, 3, 1).index_put((fix,), patch).permute(0, 3, 1, 2)
    return _linear_to_srgb(linear).clamp(0.0, 1.0)  # the clamp removes less than 8-bit rounding


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
    linear = _lab_to_linear(Lstar, torch.zeros_like(Lstar).expand(-1, 2, -1, -1))
    return _linear_to_srgb(linear).clamp(0.0, 1.0)
