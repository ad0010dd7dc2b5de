"""Gamut mapping at fixed L* and hue: Lab -> sRGB that keeps the requested lightness and hue.

A generator can predict any ab; per-channel clipping of an out-of-gamut colour changes its L*. Here its
chroma is reduced (CIE LCh) to the most that fits, found in a max-chroma table and bisected where the
table is unsure.
"""

from __future__ import annotations

import math
from functools import cache

import torch
import torch.nn.functional as F
from torch import Tensor

from colorgan.color.lab import lab_to_linear, linear_to_srgb

# Gamut mapping. A colour counts as inside sRGB while clamping its linear RGB to [0, 1] moves no
# channel by more than half a uint8 step of the output (0.5 / 255 / 12.92 at 0, 1 - linear(1 - 0.5 / 255)
# at 1): the final clamp then stays below 8-bit rounding (< 0.2 L*), and float error and skimage's
# white (linear (1.0000, 1.0000, 1.0001) through its own matrix) are inside.
INSIDE_LINEAR = (-1.5e-4, 1.0044)
_PROBE_CHROMA = 200.0  # more than sRGB's largest chroma (134, a blue)
_TABLE_SIZE = (201, 720)  # the max-chroma table: L* every 0.5, hue every 0.5 degrees
_BISECTION_STEPS = 12  # the chroma scale to 1/4096: finer than 8-bit output resolves
_TABLE_UNDERSHOOT = 0.02  # scales this close to 1 are checked: the colour may have been inside all along


def _inside(linear: Tensor, dim: int, bounds: tuple[float, float] = INSIDE_LINEAR) -> Tensor:
    return ((linear >= bounds[0]) & (linear <= bounds[1])).all(dim=dim)


def _linear_of(L: Tensor, ab: Tensor) -> Tensor:
    """Pixels as columns: ``L (N,)``, ``ab (2, N)`` -> linear sRGB ``(3, N)``."""
    return lab_to_linear(L.view(1, 1, -1, 1), ab.reshape(1, 2, -1, 1)).view(3, -1)


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
    linear = lab_to_linear(L, ab * scale)  # (B, 3, H, W)
    errors = _table_errors(L, ab, scale, linear)
    if errors is not None:  # recomputed where the table was wrong or unsure (0.4-0.7% of random Lab)
        fix, s = errors
        patch = _linear_of(L[:, 0][fix], ab.transpose(0, 1)[:, fix] * s).T  # (N, 3)
        linear = linear.permute(0, 2, 3, 1).index_put((fix,), patch).permute(0, 3, 1, 2)
    return linear_to_srgb(linear).clamp(0.0, 1.0)  # the clamp removes less than 8-bit rounding
