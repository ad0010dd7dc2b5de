"""Image grids as uint8 arrays: rows are images, columns are versions of them (gray | ... | truth)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor
from torchvision.utils import make_grid


def to_uint8(rgb: Tensor) -> np.ndarray:
    """``(3, H, W)`` float in [0, 1] -> ``(H, W, 3)`` uint8 (what W&B and PNG writers expect)."""
    return (rgb.detach().float().clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def image_grid(columns: Sequence[Tensor], padding: int = 2) -> np.ndarray:
    """Columns of ``(N, 3, H, W)`` RGB in [0, 1], all the same shape -> one ``(H', W', 3)`` uint8 grid."""
    stacked = torch.stack([c.detach().float().cpu() for c in columns], dim=1)  # (N, C, 3, H, W)
    tiles = stacked.flatten(0, 1)  # row-major: image 0's columns, then image 1's...
    return to_uint8(make_grid(tiles, nrow=len(columns), padding=padding, pad_value=1.0))
