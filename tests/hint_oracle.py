"""A hint model whose net copies its hints: the colour it returns is exactly the hinted colour (0 elsewhere), so
tests of where hints land (colorize --hints, the hint sweep) can be pixel-exact."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from colorgan.models.base import ColorizationModule


class CopyHints(nn.Module):
    """``(B, 4, H, W)`` (L, hint ab, centred mask) -> the hint ab."""

    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(()))  # a parameter, so the model has a device

    def forward(self, x: Tensor) -> Tensor:
        return x[:, 1:3] * self.gain


def hint_oracle(working_size: int) -> ColorizationModule:
    model = ColorizationModule(CopyHints(), hints={})  # hints={}: a hint model with the default simulation
    model.meta.update(name="oracle", working_size=working_size)
    return model.eval()
