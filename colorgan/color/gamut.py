"""Gamut mapping at fixed L* and hue: Lab -> sRGB that keeps the requested lightness and hue.

A generator can predict any ab; per-channel clipping of an out-of-gamut colour changes its L*. Here its
chroma is reduced (CIE LCh) to the most that fits, found in a max-chroma table and bisected where the
table overshoots. Only the colours outside the gamut are mapped: a photo's colours mostly are inside.
"""

from __future__ import annotations

import math
from collections.abc import Callable
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
_DENSE_SHARE = 0.2  # more colours outside than this: the table is read for all (gathering them costs more)


def _inside(linear: Tensor, dim: int, bounds: tuple[float, float] = INSIDE_LINEAR) -> Tensor:
    return ((linear >= bounds[0]) & (linear <= bounds[1])).all(dim=dim)


def _linear_of(L: Tensor, ab: Tensor) -> Tensor:
    """Pixels as columns: ``L (N,)``, ``ab (2, N)`` -> linear sRGB ``(3, N)``."""
    return lab_to_linear(L.view(1, 1, -1, 1), ab.reshape(1, 2, -1, 1)).view(3, -1)


def outside_share(linear: Tensor) -> float:
    """The share of the colours of linear sRGB ``(B, 3, H, W)`` that gamut mapping changes (``INSIDE_LINEAR``)."""
    return float((~_inside(linear, dim=1)).float().mean())


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
    """The share of each colour's chroma that fits by the max-chroma table (1: all of it), shaped as
    ``L``; ``ab`` holds a and b along its first axis (columns as in ``_linear_of``, or ``(2, B, H, W)``)."""
    hue = torch.remainder(torch.atan2(ab[1], ab[0]), 2 * math.pi)
    grid = torch.stack([hue / math.pi - 1.0, L / 50.0 - 1.0], dim=-1).view(1, 1, -1, 2)  # x: hue, y: L*
    most = F.grid_sample(_max_chroma_table(L.device), grid, mode="bilinear", align_corners=True).view(L.shape)
    chroma = torch.hypot(ab[0], ab[1])
    return torch.where(chroma > most, most / chroma, 1.0)


@torch.no_grad()
def _mapped_scale(L: Tensor, ab: Tensor) -> Tensor:
    """``(N,)``: the chroma scale that brings each out-of-gamut colour (columns as in ``_linear_of``) to the
    gamut's boundary at its L* and hue: the table's, bisected below it where bilinear interpolation
    between the table's points overshoots (the boundary bends outward there; 0.4-0.7% of random Lab)."""
    scale = _table_scale(L, ab)
    missed = ~_inside(_linear_of(L, ab * scale), dim=0)
    if bool(missed.any()):
        scale[missed] = _bisect_scale(L[missed], ab[:, missed], scale[missed], _BISECTION_STEPS)
    return scale


@torch.no_grad()
def _outside(linear: Tensor) -> Tensor | None:
    """``(B, H, W)``: the colours outside sRGB (by ``INSIDE_LINEAR``), or None when there is none (then
    one pass over ``linear``, the usual case for a photo)."""
    low, high = torch.aminmax(linear)
    if bool(low >= INSIDE_LINEAR[0]) and bool(high <= INSIDE_LINEAR[1]):
        return None
    low, high = torch.aminmax(linear, dim=1)
    return (low < INSIDE_LINEAR[0]) | (high > INSIDE_LINEAR[1])


def map_outside(linear: Tensor, lab: Callable[[], tuple[Tensor, Tensor]]) -> Tensor:
    """``linear (B, 3, H, W)`` with its colours outside sRGB brought inside by reducing their chroma at fixed
    L* and hue (CIE LCh) to the most that fits; those inside are left exactly as they are. ``lab()`` gives
    the colours' ``L* (B, 1, H, W)`` and ``ab (B, 2, H, W)``, asked for only when some colour is outside.
    In place where few colours are outside; a new tensor where many are. Differentiable in ab."""
    outside = _outside(linear)
    if outside is None:
        return linear
    L, ab = lab()
    if int(outside.sum()) > _DENSE_SHARE * outside.numel():  # no gathers: the table read for every colour
        scale = torch.where(outside, _table_scale(L[:, 0], ab.transpose(0, 1)), 1.0)
        linear = lab_to_linear(L, ab * scale[:, None])
        outside = _outside(linear)  # where the table overshot: bisected below
        if outside is None:
            return linear
    b, y, x = outside.nonzero(as_tuple=True)
    L_out, ab_out = L[b, 0, y, x], ab[b, :, y, x].T  # (N,), (2, N)
    patch = _linear_of(L_out, ab_out * _mapped_scale(L_out, ab_out)).T  # (N, 3)
    linear.permute(0, 2, 3, 1).index_put_((b, y, x), patch)
    return linear


def mapped_linear(L: Tensor, ab: Tensor) -> Tensor:
    """Linear sRGB ``(B, 3, H, W)`` of ``L* (B, 1, H, W)`` in [0, 100] and ``ab (B, 2, H, W)`` in Lab units,
    out-of-gamut colours mapped (``map_outside``), in-gamut ones exactly as skimage's ``lab2rgb``."""
    return map_outside(lab_to_linear(L, ab), lambda: (L, ab))


@torch.autocast("cuda", enabled=False)
@torch.autocast("cpu", enabled=False)
def lab_to_rgb(lab: Tensor) -> Tensor:
    """Lab ``(B, 3, H, W)`` -> sRGB in [0, 1], with the requested L* and hue kept.

    In-gamut colours convert exactly as skimage's ``lab2rgb``. An out-of-gamut colour (a generator
    can predict any ab) is brought inside by reducing its chroma at fixed L* and hue (CIE LCh) to the
    most that fits, so that the output keeps the input's lightness instead of what per-channel
    clipping leaves of it (Lab(60, 90, -100) would come back at L* 54.8). Differentiable in ab.
    """
    lab = lab.float()
    linear = mapped_linear(lab[:, :1].clamp(0.0, 100.0), lab[:, 1:])
    return linear_to_srgb(linear).clamp(0.0, 1.0)  # the clamp removes less than 8-bit rounding
