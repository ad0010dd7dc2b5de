"""Chunked full-resolution colour maths: reused scratch buffers, row chunks, and their spread over threads."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import torch
from torch import Tensor

CHUNK_PIXELS = 1 << 16  # pixels per chunk: a chunk's buffers stay in the caches


class Scratch:
    """Flat buffers reused by every chunk of one call: ``view(name, shape)`` is the start of buffer ``name``."""

    def __init__(self, device: torch.device):
        self.device, self._buffers = device, {}

    def view(self, name: str, shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> Tensor:
        n = math.prod(shape)
        buffer = self._buffers.get(name)
        if buffer is None or buffer.numel() < n or buffer.dtype != dtype:
            buffer = self._buffers[name] = torch.empty(n, dtype=dtype, device=self.device)
        return buffer[:n].view(shape)


def row_chunks(n: int, h: int, w: int, pixels: int | None = None) -> list[tuple[int, slice]]:
    """``(image, rows)`` pieces of ``n`` images ``h x w``, each about ``pixels`` (``CHUNK_PIXELS``) pixels."""
    step = max(1, (pixels or CHUNK_PIXELS) // max(1, w))
    return [(i, slice(r, min(h, r + step))) for i in range(n) for r in range(0, h, step)]


@contextmanager
def _single_threaded_ops() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # process-wide (threads started now inherit it): restored on the way out
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def for_chunks(shape: tuple[int, int, int], device: torch.device, work: Callable[[int, slice, Scratch], None]) -> None:
    """``work(image, rows, scratch)`` for every piece of ``n`` images ``h x w`` (``shape``).

    On a CPU the chunks are spread over torch's threads, each chunk's operations single-threaded: one join
    per call instead of a barrier per operation, which on a busy machine costs far more than the
    arithmetic (a preempted partner thread stalls every barrier). Elsewhere a piece is a whole image."""
    n, h, w = shape
    pieces = row_chunks(n, h, w) if device.type == "cpu" else [(i, slice(0, h)) for i in range(n)]
    threads = min(torch.get_num_threads(), len(pieces)) if device.type == "cpu" else 1
    if threads <= 1:
        scratch = Scratch(device)
        for i, rows in pieces:
            work(i, rows, scratch)
        return
    local = threading.local()

    def run(piece: tuple[int, slice]) -> None:
        if not hasattr(local, "scratch"):
            local.scratch = Scratch(device)
        work(*piece, local.scratch)

    with _single_threaded_ops(), ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, pieces))
