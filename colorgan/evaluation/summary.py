"""From per-image values to the numbers a table reports: means with 95% bootstrap intervals, seeds
merged into one row (mean +- std across seeds, interval over seeds then images), and paired differences
against a reference row."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from colorgan.evaluation.bootstrap import LEVEL, RESAMPLES, contrast_intervals
from colorgan.evaluation.scoring import GRAY, Evaluation
from colorgan.metrics import POOLED

OVER_IMAGES, OVER_SEEDS = ["images"], ["seeds", "images"]  # what an interval resamples


@dataclass
class Summary:
    """``rows[row][metric]``: ``{"mean", "ci95": [lo, hi], "n_seeds", "over"}`` plus ``"std_seeds"`` for a row of
    several seeds; ``differences[row][metric]``: the paired difference row - reference, same form. ``over`` says
    what the interval resampled: ``["images"]``, or ``["seeds", "images"]`` where a row merges seeds."""

    rows: dict[str, dict[str, dict]]
    differences: dict[str, dict[str, dict]]
    reference: str | None
    bootstrap: dict = field(default_factory=dict)


def _metric_names(evaluation: Evaluation) -> list[str]:
    """Every per-image metric of any row, without the pooling weights (they weigh a metric, not report one)."""
    weights = set(POOLED.values())
    names = dict.fromkeys(k for values in evaluation.per_image.values() for k in values if k not in weights)
    return list(names)


def _stack(evaluation: Evaluation, members: list[str], metrics: list[str]) -> Tensor:
    """``(S, N, K)``: the per-image values of each member (seed); NaN for a metric a member lacks."""
    n = evaluation.n_images
    nan = torch.full((n,), float("nan"), dtype=torch.float64)
    return torch.stack(
        [torch.stack([evaluation.per_image[m].get(k, nan).double() for k in metrics], dim=1) for m in members]
    )


def _weights(evaluation: Evaluation, metrics: list[str]) -> Tensor:
    """``(N, K)``: 1 per image, or a pooled metric's per-image weight (it depends on the truth only)."""
    columns = []
    for key in metrics:
        weight = POOLED.get(key)
        series = next((v[weight] for v in evaluation.per_image.values() if weight in v), None)
        columns.append(torch.ones(evaluation.n_images, dtype=torch.float64) if series is None else series.double())
    return torch.stack(columns, dim=1)


def _seed_std(values: Tensor, weights: Tensor) -> Tensor:
    """``(K,)`` std across seeds of each seed's (weighted) mean, over the images where it is defined."""
    defined = torch.isfinite(values) & (weights > 0)
    w = torch.where(defined, weights, torch.zeros_like(weights))
    means = (torch.where(defined, values, torch.zeros_like(values)) * w).sum(1) / w.sum(1)  # (S, K)
    return means.std(dim=0)


def _entries(intervals, metrics: list[str], present: set[str], n_seeds: int, over: list[str]) -> dict[str, dict]:
    return {k: {**iv.as_dict(), "n_seeds": n_seeds, "over": over} for k, iv in zip(metrics, intervals) if k in present}


def _set_metrics(evaluation: Evaluation, members: list[str]) -> dict[str, dict]:
    """Statistics of the whole image set (FID): per seed, no per-image interval."""
    out = {}
    for key in sorted({k for m in members for k in evaluation.set_metrics.get(m, {})}):
        seeds = torch.tensor([evaluation.set_metrics[m][key] for m in members if key in evaluation.set_metrics[m]])
        out[key] = {"mean": float(seeds.mean()), "ci95": None, "n_images": evaluation.n_images,
                    "n_seeds": len(members), "over": []}  # fmt: skip
        if len(seeds) > 1:
            out[key]["std_seeds"] = float(seeds.std())
    return out


def _rows_and_reference(
    evaluation: Evaluation, groups: dict[str, list[str]] | None, reference: str | None
) -> tuple[dict[str, list[str]], str | None]:
    """The rows (the gray baseline first) and the reference row (default: the first model row)."""
    groups = groups or {name: [name] for name in evaluation.per_image}
    if GRAY in evaluation.per_image and GRAY not in groups:
        groups = {GRAY: [GRAY], **groups}
    candidates = [n for n in groups if n != GRAY]
    reference = reference if reference is not None else (candidates[0] if candidates else None)
    if reference is not None and reference not in groups:
        raise ValueError(f"reference={reference!r} is not a row of this comparison: {', '.join(groups)}")
    return groups, reference


def summarize(
    evaluation: Evaluation,
    groups: dict[str, list[str]] | None = None,
    reference: str | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Summary:
    """Rows of ``groups`` (row name -> the evaluated models it merges, its seeds; default: one row per model,
    the gray baseline first) and their paired differences against ``reference`` (default: the first model row)."""
    groups, reference = _rows_and_reference(evaluation, groups, reference)
    metrics = _metric_names(evaluation)
    weights = _weights(evaluation, metrics)
    values = {row: _stack(evaluation, members, metrics) for row, members in groups.items()}
    present = {row: {k for m in members for k in evaluation.per_image[m]} for row, members in groups.items()}
    contrasts = {("row", r): {r: 1.0} for r in groups}
    if reference is not None:
        contrasts |= {("diff", r): {r: 1.0, reference: -1.0} for r in groups if r != reference}
    intervals = contrast_intervals(values, contrasts, weights, resamples, LEVEL, seed)
    rows, differences = {}, {}
    for row, members in groups.items():
        over = OVER_SEEDS if len(members) > 1 else OVER_IMAGES
        rows[row] = _entries(intervals[("row", row)], metrics, present[row], len(members), over)
        if len(members) > 1:
            for key, std in zip(metrics, _seed_std(values[row], weights).tolist()):
                if key in rows[row]:
                    rows[row][key]["std_seeds"] = std
        rows[row] |= _set_metrics(evaluation, members)
        if ("diff", row) in intervals:
            both = present[row] & present[reference]
            seeded = len(members) > 1 or len(groups[reference]) > 1
            differences[row] = _entries(
                intervals[("diff", row)], metrics, both, len(members), OVER_SEEDS if seeded else OVER_IMAGES
            )
    unit = "image; a row of several seeds (and its differences): its seeds, then images (two-level)"
    return Summary(rows, differences, reference, {"resamples": resamples, "level": LEVEL, "seed": seed, "unit": unit})
