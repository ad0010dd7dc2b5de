"""Hint maps (see ``colorgan.hints``): making them, resizing them to the net's working size, and the net's input."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

HINT_CHANNELS = 3  # hint ab (2) and the mask (1)
NET_IN_CHANNELS = 1 + HINT_CHANNELS  # what a hint model's net sees: L, hint ab, mask
# The net sees the mask centred: -0.5 where there is no hint, +0.5 on a hint (colorization-pytorch,
# options/base_options.py --mask_cent 0.5, subtracted in util/util.py add_color_patches_rand_gt).
MASK_CENTER = 0.5


def hint_map(ab: Tensor, mask: Tensor) -> Tensor:
    """The hint map of ab ``(B, 2, H, W)`` on the pixels where ``mask (B, 1, H, W)`` is true."""
    mask = mask.to(ab.dtype)
    return torch.cat([ab * mask, mask], dim=1)


def empty_hints(L: Tensor) -> Tensor:
    """No hint anywhere: what a hint model sees when it colorizes automatically."""
    return L.new_zeros(L.shape[0], HINT_CHANNELS, *L.shape[-2:])


def net_input(L: Tensor, hints: Tensor | None) -> Tensor:
    """``(B, 4, H, W)``: L, the hint ab and the centred mask (no hints: ab 0, mask -0.5 everywhere)."""
    hints = empty_hints(L) if hints is None else hints.to(device=L.device, dtype=L.dtype)
    return torch.cat([L, hints[:, :2], hints[:, 2:] - MASK_CENTER], dim=1)


def resize_hints(hints: Tensor, shape: tuple[int, int]) -> Tensor:
    """The hint map at ``shape (h, w)``: a pixel there is hinted when any pixel of its area is, and its ab is
    the mean hinted ab over that area. A hint never vanishes by downscaling (a click stays a click), and
    hints keep their colour exactly. Works both ways (area pooling up or down)."""
    if tuple(hints.shape[-2:]) == tuple(shape):
        return hints
    mask = hints[:, 2:].float()
    cover = F.adaptive_avg_pool2d(mask, shape)  # (B, 1, h, w): the hinted share of each pixel's area
    ab_sum = F.adaptive_avg_pool2d(hints[:, :2].float() * mask, shape)
    hinted = cover > 0
    return hint_map(torch.where(hinted, ab_sum / cover.clamp_min(1e-12), 0.0), hinted).to(hints.dtype)
