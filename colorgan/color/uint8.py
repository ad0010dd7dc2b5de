"""8-bit sRGB in and out at full resolution: L of uint8 pixels, and (L, ab) -> uint8 sRGB with gamut mapping.

The formulas are lab.py's (its constants, its clamped f and inverse), arranged for throughput: tables for the
sRGB curve in both directions, and every step in place in buffers that one call reuses chunk after chunk. A
chain of fresh multi-megabyte temporaries costs more in page faults and cache misses than the arithmetic.
"""

from __future__ import annotations

from functools import cache

import torch
from torch import Tensor

from colorgan.color.chunks import Scratch, for_chunks
from colorgan.color.gamut import map_outside
from colorgan.color.lab import (
    _EPS,
    _KAPPA,
    _KNEE,
    _WHITE_D65,
    _XYZ_FROM_RGB,
    AB_SCALE,
    L_SCALE,
    RGB_FROM_XYZ_WHITE,
    _decode_table,
    levels_linear,
    linear_to_srgb,
)

# Linear -> 8-bit sRGB through a table of 2**16 + 1 entries: the curve is steepest at 0 (12.92 x 255 = 3295
# levels per unit of linear light), so a table step moves the output by at most 0.05 of a level and only
# values within 0.025 of a rounding boundary can come out one level off the exact formula.
ENCODE_STEPS = 65536


@cache
def _xyz_tables(device: torch.device) -> Tensor:
    """``(3, 3, 256)`` float32: ``[row, channel, v]`` is channel's share of X, Y or Z (over the white's) for
    the 8-bit value v: its linear light times its weight in that row of the matrix."""
    white = torch.tensor(_WHITE_D65, dtype=torch.float64)[:, None, None]
    return (_XYZ_FROM_RGB[:, :, None] * levels_linear() / white).float().to(device)


@cache
def _xyz_matrix(device: torch.device) -> Tensor:
    """``(3, 3)`` float32: linear sRGB -> XYZ over the white's, row by row."""
    white = torch.tensor(_WHITE_D65, dtype=torch.float64)[:, None]
    return (_XYZ_FROM_RGB / white).float().to(device)


@cache
def _encode_table(device: torch.device) -> Tensor:
    """``(ENCODE_STEPS + 1,)`` uint8: 8-bit sRGB of linear light ``i / ENCODE_STEPS``, rounded."""
    linear = torch.arange(ENCODE_STEPS + 1, dtype=torch.float64) / ENCODE_STEPS
    return (linear_to_srgb(linear) * 255.0 + 0.5).floor().to(torch.uint8).to(device)


@cache
def _mix_matrix(device: torch.device) -> Tensor:
    return RGB_FROM_XYZ_WHITE.float().to(device)


def _f_(t: Tensor, scratch: Scratch) -> Tensor:
    """lab._f in place. The cube root as exp(log(t) / 3): three vectorized passes that took 0.85 of the time of
    ``pow(t, 1/3)`` in the Lab conversion (AMD EPYC, Zen 4), the same values to 6e-7."""
    knee = torch.clamp(t, max=_EPS, out=scratch.view("knee", t.shape)).sub_(_EPS)
    return t.clamp_(min=_EPS).log_().mul_(1.0 / 3.0).exp_().add_(knee, alpha=_KAPPA)


def _f_of_rows_(rgb: Tensor, rows: range, out: Tensor, scratch: Scratch) -> Tensor:
    """f(X / Xn), f(Y) or f(Z / Zn) (``rows`` of the matrix) of sRGB uint8 ``rgb (1, 3, h, w)`` into the
    contiguous ``out (1, len(rows), h, w)``: each a sum of three table values."""
    plane = (1, 1, *rgb.shape[-2:])
    index = [scratch.view(f"index{c}", plane, torch.int32).copy_(rgb[:, c : c + 1]) for c in range(3)]
    if len(rows) == 3:  # all of X, Y, Z: three lookups of linear light and one matrix product, not nine lookups
        linear = scratch.view("linear_in", (3, index[0].numel()))
        for c in range(3):
            torch.index_select(_decode_table(rgb.device), 0, index[c].view(-1), out=linear[c])
        torch.matmul(_xyz_matrix(rgb.device), linear, out=out.view(3, -1))
        return _f_(out, scratch)
    tables, term = _xyz_tables(rgb.device), scratch.view("term", plane)
    for k, row in enumerate(rows):
        for c in range(3):
            target = out[:, k : k + 1] if c == 0 else term
            torch.index_select(tables[row, c], 0, index[c].view(-1), out=target.view(-1))
            if c:
                out[:, k : k + 1].add_(term)
    return _f_(out, scratch)


@torch.no_grad()
def lightness_(rgb: Tensor, out: Tensor, scratch: Scratch) -> Tensor:
    """Normalized L (``L* / 50 - 1``) of sRGB uint8 ``rgb (1, 3, h, w)`` (any strides) into the contiguous
    ``out (1, 1, h, w)``: from Y alone, so a and b are never computed."""
    return _f_of_rows_(rgb, range(1, 2), out, scratch).mul_(116.0 / L_SCALE).sub_(16.0 / L_SCALE + 1.0)


@torch.no_grad()
def L_ab_(rgb: Tensor, L: Tensor, ab: Tensor, ab_scale: float, scratch: Scratch) -> None:
    """Normalized ``L (1, 1, h, w)`` and ``ab (1, 2, h, w)`` (each channel contiguous) of sRGB uint8
    ``rgb (1, 3, h, w)``."""
    f = _f_of_rows_(rgb, range(3), scratch.view("f", (1, 3, *rgb.shape[-2:])), scratch)
    fx, fy, fz = f[:, :1], f[:, 1:2], f[:, 2:]
    torch.mul(fy, 116.0 / L_SCALE, out=L).sub_(16.0 / L_SCALE + 1.0)
    torch.sub(fx, fy, out=ab[:, :1]).mul_(500.0 / ab_scale)
    torch.sub(fy, fz, out=ab[:, 1:]).mul_(200.0 / ab_scale)


@torch.no_grad()
def _linear_(L: Tensor, ab: Tensor, ab_scale: float, scratch: Scratch) -> Tensor:
    """lab.lab_to_linear of normalized ``L (1, 1, h, w)`` and ``ab (1, 2, h, w)``, in scratch buffers."""
    shape = (1, 3, *L.shape[-2:])
    f = scratch.view("f", shape)
    fy = torch.mul(L, L_SCALE / 116.0, out=f[:, 1:2]).add_((L_SCALE + 16.0) / 116.0).clamp_(16.0 / 116.0, 1.0)
    torch.add(fy, ab[:, :1], alpha=ab_scale / 500.0, out=f[:, :1])
    torch.sub(fy, ab[:, 1:], alpha=ab_scale / 200.0, out=f[:, 2:]).clamp_(min=0.0)
    knee = torch.clamp(f, max=_KNEE, out=scratch.view("knee", shape)).sub_(_KNEE)
    f.clamp_(min=_KNEE).pow_(3).add_(knee, alpha=1.0 / _KAPPA)  # XYZ / white, as lab._f_inverse
    linear = scratch.view("linear", shape)
    torch.matmul(_mix_matrix(L.device), f.view(1, 3, -1), out=linear.view(1, 3, -1))
    return linear


@torch.no_grad()
def L_ab_to_uint8_(L: Tensor, ab: Tensor, ab_scale: float, out: Tensor, scratch: Scratch) -> Tensor:
    """Normalized ``L (1, 1, h, w)`` and ``ab (1, 2, h, w)`` -> 8-bit sRGB into ``out (1, h, w, 3)`` (any
    strides): lab_to_rgb (out-of-gamut colours mapped at fixed L* and hue) rounded to uint8, to one level."""
    shape = (1, 3, *L.shape[-2:])

    def lab() -> tuple[Tensor, Tensor]:  # L* and ab in Lab units: only where some colour is outside
        return ((L + 1.0) * L_SCALE).clamp(0.0, 100.0), ab * ab_scale

    linear = map_outside(_linear_(L, ab, ab_scale, scratch), lab)
    scaled = torch.mul(linear, ENCODE_STEPS, out=scratch.view("knee", shape)).add_(0.5)
    index = scratch.view("index", shape, torch.int32)
    index.copy_(scaled).clamp_(0, ENCODE_STEPS)  # truncated after + 0.5: rounded; NaN gives 0
    encoded = scratch.view("encoded", shape, torch.uint8)
    torch.index_select(_encode_table(L.device), 0, index.view(-1), out=encoded.view(-1))
    return out.copy_(encoded.permute(0, 2, 3, 1))


def rgb_to_L(rgb: Tensor, out: Tensor | None = None) -> Tensor:
    """Normalized ``L (B, 1, H, W)`` of sRGB uint8 ``(B, 3, H, W)``, into ``out`` (rows of full width) if given."""
    n, _, h, w = rgb.shape
    out = torch.empty(n, 1, h, w, device=rgb.device) if out is None else out

    def work(i: int, rows: slice, scratch: Scratch) -> None:
        lightness_(rgb[i : i + 1, :, rows], out[i : i + 1, :, rows], scratch)

    for_chunks((n, h, w), rgb.device, work)
    return out


def uint8_to_L_ab(rgb: Tensor, ab_scale: float = AB_SCALE) -> tuple[Tensor, Tensor]:
    """Normalized ``L (B, 1, H, W)`` and ``ab (B, 2, H, W)`` of sRGB uint8 ``(B, 3, H, W)``: rgb_to_L_ab's
    values (to float32 rounding), chunk by chunk in reused buffers (three times faster on a CPU)."""
    n, _, h, w = rgb.shape
    L, ab = torch.empty(n, 1, h, w, device=rgb.device), torch.empty(n, 2, h, w, device=rgb.device)

    def work(i: int, rows: slice, scratch: Scratch) -> None:
        L_ab_(rgb[i : i + 1, :, rows], L[i : i + 1, :, rows], ab[i : i + 1, :, rows], ab_scale, scratch)

    for_chunks((n, h, w), rgb.device, work)
    return L, ab


def L_ab_to_uint8(L: Tensor, ab: Tensor, ab_scale: float = AB_SCALE) -> Tensor:
    """Normalized ``L (B, 1, H, W)`` and ``ab (B, 2, H, W)`` -> 8-bit sRGB ``(B, H, W, 3)``, a new tensor."""
    n, _, h, w = L.shape
    out = torch.empty(n, h, w, 3, dtype=torch.uint8, device=L.device)

    def work(i: int, rows: slice, scratch: Scratch) -> None:
        part = (slice(i, i + 1), slice(None), rows)
        L_ab_to_uint8_(L[part].float(), ab[part].float(), ab_scale, out[i : i + 1, rows], scratch)

    for_chunks((n, h, w), L.device, work)
    return out
