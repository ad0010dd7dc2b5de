"""From per-image values to the numbers a table reports: means with 95% bootstrap intervals, seeds
merged into one row (mean +- std across seeds), and paired differences against a reference row."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from colorgan.evaluation.bootstrap import RESAMPLES, bootstrap_intervals
from colorgan.evaluation.scoring import GRAY, Evaluation


@dataclass
class Summary:
    """``rows[row][metric]``: ``{"mean", "ci95": [lo, hi]}`` plus ``"std_seeds"`` and ``"n_seeds"`` for a row
    of several seeds; ``differences[row][metric]``: the paired difference row - reference, same form."""

    rows: dict[str, dict[str, dict]]
    differences: dict[str, dict[str, dict]]
    reference: str | None
    bootstrap: dict = field(default_factory=dict)


def _seed_average(evaluation: Evaluation, members: list[str]) -> dict[str, Tensor]:
    """Per-image values averaged over a row's checkpoints (its seeds), metric by metric."""
    metrics = evaluation.per_image[members[0]]
    return {k: torch.stack([evaluation.per_image[m][k] for m in members]).mean(0) for k in metrics}


def _row(evaluation: Evaluation, members: list[str], resamples: int, seed: int) -> dict[str, dict]:
    row = {
        k: iv.as_dict()
        for k, iv in bootstrap_intervals(_seed_average(evaluation, members), resamples, seed=seed).items()
    }
    set_keys = {k for m in members for k in evaluation.set_metrics.get(m, {})}
    for key in sorted(set_keys):  # a statistic of the whole image set (FID): no per-image interval
        seeds = torch.tensor([evaluation.set_metrics[m][key] for m in members if key in evaluation.set_metrics[m]])
        row[key] = {"mean": float(seeds.mean()), "ci95": None}
        if len(seeds) > 1:
            row[key]["std_seeds"] = float(seeds.std())
    if len(members) > 1:
        for key in evaluation.per_image[members[0]]:
            means = torch.stack([evaluation.per_image[m][key].mean() for m in members])
            row[key]["std_seeds"] = float(means.std())
    for entry in row.values():
        entry["n_seeds"] = len(members)
    return row


def summarize(
    evaluation: Evaluation,
    groups: dict[str, list[str]] | None = None,
    reference: str | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Summary:
    """Rows of ``groups`` (row name -> the evaluated models it merges; default: one row per model, the gray
    baseline first) and their paired differences against ``reference`` (default: the first model row)."""
    groups = groups or {name: [name] for name in evaluation.per_image}
    if GRAY in evaluation.per_image and GRAY not in groups:
        groups = {GRAY: [GRAY], **groups}
    rows = {name: _row(evaluation, members, resamples, seed) for name, members in groups.items()}
    candidates = [n for n in groups if n != GRAY]
    reference = reference if reference is not None else (candidates[0] if candidates else None)
    if reference is not None and reference not in groups:
        raise ValueError(f"reference={reference!r} is not a row of this comparison: {', '.join(groups)}")
    differences = {}
    if reference is not None:
        base = _seed_average(evaluation, groups[reference])
        for name, members in groups.items():
            if name == reference:
                continue
            mine = _seed_average(evaluation, members)
            paired = {k: mine[k] - base[k] for k in base if k in mine}
            differences[name] = {k: iv.as_dict() for k, iv in bootstrap_intervals(paired, resamples, seed=seed).items()}
    return Summary(rows, differences, reference, {"resamples": resamples, "level": 0.95, "seed": seed, "unit": "image"})
