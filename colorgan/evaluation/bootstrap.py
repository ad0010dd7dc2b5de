"""95% bootstrap confidence intervals of per-image means, paired across models.

Images are the unit of resampling: each resample draws N images with replacement and every model's
mean is taken over the same draw, so the interval of a difference between two models (computed from
per-image differences) accounts for their scoring the same photos. Percentile intervals (Efron &
Tibshirani 1993, ch. 13), from a seeded generator so a report is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

RESAMPLES = 2000
LEVEL = 0.95
_CHUNK = 64  # resamples drawn at once: a (64, N) count matrix, bounded memory for 50 000 images


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float

    def as_dict(self) -> dict:
        return {"mean": self.mean, "ci95": [self.low, self.high]}


def _resampled_means(values: Tensor, resamples: int, seed: int) -> Tensor:
    """``(resamples, K)`` means of ``values (N, K)`` over bootstrap draws of its N rows."""
    n = values.shape[0]
    generator = torch.Generator().manual_seed(seed)
    means = []
    for start in range(0, resamples, _CHUNK):
        rows = min(_CHUNK, resamples - start)
        picks = torch.randint(n, (rows, n), generator=generator)
        counts = torch.zeros(rows, n, dtype=torch.float64).scatter_add_(
            1, picks, torch.ones(rows, n, dtype=torch.float64)
        )
        means.append(counts @ values / n)
    return torch.cat(means)


def bootstrap_intervals(
    values: dict[str, Tensor], resamples: int = RESAMPLES, level: float = LEVEL, seed: int = 0
) -> dict[str, Interval]:
    """The mean of each ``(N,)`` per-image series and its percentile interval; one draw for all series.

    Series with NaN (a metric undefined on some image) are reported over the images where it is defined.
    """
    names = list(values)
    if not names:
        return {}
    table = torch.stack([values[n].double().cpu() for n in names], dim=1)  # (N, K)
    if table.shape[0] == 0:
        raise ValueError("no images to bootstrap over")
    finite = torch.isfinite(table).all(dim=0)
    out: dict[str, Interval] = {}
    if finite.any():
        kept = table[:, finite]
        draws = _resampled_means(kept, resamples, seed)
        q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
        bounds = torch.quantile(draws, q, dim=0)
        for j, name in enumerate(n for n, ok in zip(names, finite.tolist()) if ok):
            out[name] = Interval(float(kept[:, j].mean()), float(bounds[0, j]), float(bounds[1, j]))
    for name, ok in zip(names, finite.tolist()):
        if not ok:  # rare: drop the undefined images of this series only
            series = values[name].double()
            out[name] = bootstrap_intervals({name: series[torch.isfinite(series)]}, resamples, level, seed)[name]
    return {n: out[n] for n in names}
