"""Learning-rate schedules that configs select by ``_target_`` (as ``_partial_`` factories)."""

from __future__ import annotations

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


def linear_decay(optimizer: Optimizer, constant_epochs: int = 100, decay_epochs: int = 100) -> LambdaLR:
    """pix2pix's schedule: the initial rate for ``constant_epochs``, then linearly to 0 over ``decay_epochs``.

    Stepped once per epoch. Epoch e (from 0) trains at ``lr * (1 - max(0, e + 1 - constant) / (decay + 1))``,
    as in the pix2pix code.
    """

    def factor(epoch: int) -> float:
        return 1.0 - max(0, epoch + 1 - constant_epochs) / float(decay_epochs + 1)

    return LambdaLR(optimizer, lr_lambda=factor)
