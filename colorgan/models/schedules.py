"""Learning-rate schedules that configs select by ``_target_`` (as ``_partial_`` factories)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

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


def rate_drops(optimizer: Optimizer, milestones: Sequence[int], rates: Sequence[float]) -> LambdaLR:
    """The optimizer's rate until ``milestones[0]``, then ``rates[i]`` from ``milestones[i]`` on.

    Zhang et al. 2016 (Sec. 3): 3e-5, dropped to 1e-5 at 200k and to 3e-6 at 375k iterations. Stepped
    once per training step by the module, so milestones count iterations.
    """
    if len(milestones) != len(rates) or list(milestones) != sorted(milestones):
        raise ValueError("rate_drops needs increasing milestones and one rate per milestone")
    initial = optimizer.param_groups[0]["lr"]
    factors = [1.0] + [rate / initial for rate in rates]

    def factor(step: int) -> float:
        return factors[bisect.bisect_right(list(milestones), step)]

    return LambdaLR(optimizer, lr_lambda=factor)
