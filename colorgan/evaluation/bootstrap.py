"""95% bootstrap intervals of a table's means: paired across rows, and over seeds as well as images.

Images are resampled once per draw for every row, so the interval of a difference between two rows
accounts for their scoring the same photos. A row that merges several training runs of one model (its
seeds) also resamples the seeds: each draw takes S of its S seeds with replacement and the drawn images
for each of them. Seeds and images are crossed factors (every seed scores every image), and resampling
both independently is Owen's pigeonhole bootstrap (A. B. Owen, "The pigeonhole bootstrap", Ann. Appl.
Stat. 1(2), 2007). So a merged row's interval holds the spread between its seeds, and two rows that
differ only by seed give a difference whose interval reaches across zero. A row of one seed has one seed
to draw: its interval is the image bootstrap. Percentile intervals (Efron & Tibshirani 1993, ch. 13),
from seeded generators so a report is reproducible.

A metric may weigh images unequally: the set value is ``sum(w * x) / sum(w)`` over the drawn images
(the rebalanced AuC pooled over pixels), and an image where a value is undefined (NaN, inf) weighs 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

RESAMPLES = 2000
LEVEL = 0.95
_CHUNK = 64  # draws at once: a (64, N) count matrix, bounded memory for 50 000 images


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float | None  # None: one image, no spread to resample
    high: float | None

    def as_dict(self) -> dict:
        return {"mean": self.mean, "ci95": None if self.low is None else [self.low, self.high]}


def _counts(n: int, draws: int, generator: torch.Generator) -> Tensor:
    """``(draws, n)`` counts of how often each of ``n`` items is drawn, n draws with replacement each."""
    picks = torch.randint(n, (draws, n), generator=generator)
    return torch.zeros(draws, n, dtype=torch.float64).scatter_add_(1, picks, torch.ones(draws, n, dtype=torch.float64))


def _contrast_means(terms: dict[str, Tensor], coefficients: dict[str, float], weights: Tensor, images: Tensor,
                    seeds: dict[str, Tensor]) -> Tensor:  # fmt: skip
    """``(R, K)``: sum over rows of coefficient x the row's weighted mean under each draw. ``terms[row]``:
    ``(S, N, K)`` weighted values (0 where the weight is 0); ``images (R, N)`` and ``seeds[row] (R, S)`` counts."""
    total = torch.zeros(images.shape[0], weights.shape[1], dtype=torch.float64)
    for row, values in terms.items():
        s, n, k = values.shape
        per_seed = (images @ values.permute(1, 0, 2).reshape(n, s * k)).view(-1, s, k)  # (R, S, K)
        total += coefficients[row] * torch.einsum("rs,rsk->rk", seeds[row], per_seed) / s
    return total / (images @ weights)


def _prepared(rows: dict[str, Tensor], coefficients: dict[str, float], weights: Tensor) -> tuple[dict, Tensor]:
    """The contrast's weighted values per row and its weights: 0 where any of its rows is undefined."""
    defined = torch.stack([torch.isfinite(rows[r]).all(dim=0) for r in coefficients]).all(dim=0) & (weights > 0)
    w = torch.where(defined, weights, torch.zeros_like(weights))
    return {r: torch.where(defined, rows[r], torch.zeros_like(rows[r])) * w for r in coefficients}, w


def contrast_intervals(
    rows: dict[str, Tensor],
    contrasts: dict[str, dict[str, float]],
    weights: Tensor | None = None,
    resamples: int = RESAMPLES,
    level: float = LEVEL,
    seed: int = 0,
) -> dict[str, list[Interval]]:
    """Intervals of linear contrasts of rows: ``{"a": {"a": 1}}`` is row a's mean, ``{"a - b": {"a": 1, "b": -1}}``
    their paired difference. ``rows[name]``: ``(S, N, K)`` per-image values of each of its S seeds for K metrics;
    ``weights (N, K)``: each image's weight per metric (default 1). Returns K intervals per contrast."""
    n, k = next(iter(rows.values())).shape[1:]
    if n == 0:
        raise ValueError("no images to bootstrap over")
    rows = {r: v.double().cpu() for r, v in rows.items()}
    weights = torch.ones(n, k, dtype=torch.float64) if weights is None else weights.double().cpu()
    prepared = {c: _prepared(rows, coef, weights) for c, coef in contrasts.items()}
    ones = {r: torch.ones(1, v.shape[0], dtype=torch.float64) for r, v in rows.items()}
    means = {c: _contrast_means(t, contrasts[c], w, torch.ones(1, n, dtype=torch.float64), ones)[0]
             for c, (t, w) in prepared.items()}  # fmt: skip
    if n == 1:  # a single image has no sampling distribution to estimate
        return {c: [Interval(float(m), None, None) for m in means[c]] for c in contrasts}
    image_generator = torch.Generator().manual_seed(seed)
    seed_generators = {r: torch.Generator().manual_seed(seed + 1 + j) for j, r in enumerate(rows)}
    draws: dict[str, list[Tensor]] = {c: [] for c in contrasts}
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        images = _counts(n, size, image_generator)  # the same images for every row: paired
        seeds = {r: _counts(v.shape[0], size, seed_generators[r]) for r, v in rows.items()}
        for c, (terms, w) in prepared.items():
            draws[c].append(_contrast_means(terms, contrasts[c], w, images, seeds))
    q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
    out = {}
    for c in contrasts:
        bounds = torch.nanquantile(torch.cat(draws[c]), q, dim=0)  # (2, K); a draw without a defined image is NaN
        out[c] = [Interval(float(m), float(lo), float(hi)) for m, lo, hi in zip(means[c], bounds[0], bounds[1])]
    return out


def bootstrap_intervals(
    values: dict[str, Tensor], resamples: int = RESAMPLES, level: float = LEVEL, seed: int = 0
) -> dict[str, Interval]:
    """The mean of each ``(N,)`` per-image series and its percentile interval; one draw for all series.

    Series with NaN (a metric undefined on some image) are reported over the images where it is defined.
    """
    names = list(values)
    if not names:
        return {}
    table = torch.stack([values[n].double().cpu() for n in names], dim=1)[None]  # (1, N, K): one seed
    intervals = contrast_intervals({"x": table}, {"x": {"x": 1.0}}, None, resamples, level, seed)["x"]
    return dict(zip(names, intervals))
