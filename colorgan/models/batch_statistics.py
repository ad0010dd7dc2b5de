"""pix2pix's inference: norm layers use the statistics of the test batch and dropout stays on.

Isola et al. 2017, Sec. 3.3 ("Network architectures", at inference time): "we apply dropout at test time,
and we apply batch normalization using the statistics of the test batch, rather than aggregated
statistics of the training batch"; their test.py runs with batch size 1 (so each image is normalized
by its own statistics, instance normalization in effect). Running statistics are left untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

INFERENCE_NORMS = ("running", "batch")
_STOCHASTIC = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.Dropout, nn.Dropout2d)


@contextmanager
def batch_statistics(net: nn.Module) -> Iterator[None]:
    """Within: ``net``'s norm layers normalize with the batch's statistics and its dropout is on; their
    running statistics (and counters) are restored afterwards, and the net's modes too."""
    layers = [m for m in net.modules() if isinstance(m, _STOCHASTIC)]
    modes = [m.training for m in layers]
    saved = [{k: b.clone() for k, b in m.named_buffers(recurse=False)} for m in layers]
    try:
        for m in layers:
            m.train()
        yield
    finally:
        with torch.no_grad():
            for m, mode, buffers in zip(layers, modes, saved):
                m.train(mode)
                for name, value in buffers.items():
                    getattr(m, name).copy_(value)


def infer_with_batch_statistics(net: nn.Module, L: Tensor, inference_batch: int | None) -> Tensor:
    """``net(L)`` as pix2pix infers: batch statistics over groups of ``inference_batch`` images
    (1: each image on its own, as the paper's test.py; None: the whole batch)."""
    chunks = L.split(inference_batch) if inference_batch else (L,)
    with batch_statistics(net):
        return torch.cat([net(chunk) for chunk in chunks])
