"""Timing a step function in images per second, honest about warm-up and asynchronous GPUs."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def images_per_second(step: Callable[[], int], steps: int, warmup: int = 1) -> float:
    """Images per second over ``steps`` calls of ``step()`` (which returns how many images it did),
    after ``warmup`` uncounted calls (allocation, worker start-up, autotuning)."""
    for _ in range(warmup):
        step()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start, images = time.perf_counter(), 0
    for _ in range(steps):
        images += step()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return images / (time.perf_counter() - start)
