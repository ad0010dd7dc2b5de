"""A sampler whose epoch order is a function of (seed, epoch), so a run can resume mid-epoch.

PyTorch's samplers draw their order from the global RNG and always start an epoch at its first
batch: a run restarted from a mid-epoch checkpoint would replay part of the epoch and see some
images twice. Here the order of epoch ``e`` is fixed by ``seed + e``, and ``resume_at`` makes
the next pass over that epoch skip what the checkpoint had already trained on.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.distributed as dist
from torch.utils.data import Sampler


def _rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


PADDING = -1  # an index that stands for no item (see ``even=False``)


class ResumableSampler(Sampler[int]):
    """Indices of this rank's share of ``size`` items, shuffled per epoch or in order.

    Under DDP (read from ``torch.distributed`` when iterated) rank ``r`` of ``w`` takes every
    ``w``-th index of the epoch order. ``even=True`` (training) drops the tail so every rank gets
    the same count, which DDP needs; ``even=False`` (evaluation) keeps every item exactly once and
    pads the shorter shares with ``PADDING``, which the dataset answers with an empty item: every rank
    then runs the same number of batches (DDP's forward and the metrics' sync are collective), also
    when there are fewer val images than ranks, and no image counts twice.
    """

    def __init__(self, size: int, shuffle: bool, seed: int = 0, even: bool = True):
        self.size = size
        self.shuffle = shuffle
        self.seed = seed
        self.even = even
        self.epoch = 0
        self._resume: tuple[int, int] | None = None  # (epoch, items of this rank already used)

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning at the start of every epoch."""
        self.epoch = epoch

    def resume_at(self, epoch: int, items_done: int) -> None:
        """The next pass over ``epoch`` starts after its first ``items_done`` items (of this rank)."""
        self._resume = (epoch, items_done)

    def _epoch_order(self) -> list[int]:
        if not self.shuffle:
            return list(range(self.size))
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return torch.randperm(self.size, generator=generator).tolist()

    def _share(self) -> list[int]:
        rank, world = _rank_and_world()
        order = self._epoch_order()
        if self.even:
            return order[: len(order) - len(order) % world][rank::world]
        share = order[rank::world]
        return share + [PADDING] * (-(-len(order) // world) - len(share))

    def __iter__(self) -> Iterator[int]:
        share = self._share()
        if self._resume is not None and self._resume[0] == self.epoch:
            share = share[self._resume[1] :]
            self._resume = None
        return iter(share)

    def __len__(self) -> int:
        """The full epoch's count (Lightning sizes the epoch by it, also when resuming)."""
        return len(self._share())
