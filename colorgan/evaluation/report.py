"""Writing evaluations for people (markdown tables, a grid) and for programs (JSON, per-image CSV)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from PIL import Image

from colorgan.evaluation import ambiguous
from colorgan.evaluation.scoring import Evaluation
from colorgan.evaluation.semantic import TOP1, TOP1_GT
from colorgan.evaluation.summary import Summary
from colorgan.metrics import (
    COLORFULNESS_VARIANT,
    HIGHER_IS_BETTER,
    METRIC_NAMES,
    REBALANCED_AUC,
    RGB_DATA_RANGE,
)

COLUMNS = (*METRIC_NAMES, REBALANCED_AUC, TOP1, TOP1_GT, "fid", "lpips", *ambiguous.NAMES)
BETTER_HIGH = {**HIGHER_IS_BETTER, TOP1: True, "fid": False, "lpips": False, **ambiguous.HIGHER_IS_BETTER}
NOTES = {
    "rgb_data_range": RGB_DATA_RANGE,
    "colorfulness_variant": COLORFULNESS_VARIANT,
    "ab_units": "CIE Lab (D65); l1_ab, l2_ab, delta_e2000 on the Lab of the displayed sRGB",
    "auc": "Zhang et al. 2016: mean over thresholds 0..150 of the share of pixels with ab distance <= t",
    REBALANCED_AUC: "the same with each pixel weighted by 1 / prior of its true ab bin, per image (Zhang et al. 2016)",
    TOP1: "top-1 accuracy of an ImageNet classifier (classifier=) on the colorized images; top1_gt on the truth",
    "intervals": "ci95: 95% percentile bootstrap interval over images; std_seeds: std of the per-seed means",
}


def _header(key: str) -> str:
    better = BETTER_HIGH.get(key)
    return key if better is None else f"{key} {'↑' if better else '↓'}"


def _num(value: float) -> str:
    if math.isinf(value) or math.isnan(value):
        return str(value)
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.3e}"


def cell(entry: dict | None, signed: bool = False) -> str:
    """``17.3 [16.9, 17.8]``, ``17.3 ± 0.4 [16.9, 17.8]`` over seeds; ``+0.52 [...]`` for a difference."""
    if entry is None:
        return "–"
    text = ("+" if signed and entry["mean"] > 0 else "") + _num(entry["mean"])
    if "std_seeds" in entry:
        text += f" ± {_num(entry['std_seeds'])}"
    if entry.get("ci95"):
        text += f" [{_num(entry['ci95'][0])}, {_num(entry['ci95'][1])}]"
    if "n_images" in entry:  # a set statistic (FID) depends on the count
        text += f" (n={entry['n_images']})"
    return text


def columns_of(summary: Summary) -> list[str]:
    return [c for c in COLUMNS if any(c in row for row in summary.rows.values())]


def _table(rows: dict[str, dict[str, dict]], columns: list[str], signed: bool = False) -> list[str]:
    lines = ["| model | " + " | ".join(_header(c) for c in columns) + " |", "|---|" + "---|" * len(columns)]
    lines += [
        f"| {name} | " + " | ".join(cell(row.get(c), signed) for c in columns) + " |" for name, row in rows.items()
    ]
    return lines


def markdown_report(summary: Summary, evaluation: Evaluation, context: dict) -> str:
    """The main table (gray baseline first), the paired differences, and what the numbers rest on."""
    columns = columns_of(summary)
    seeds = {n: r[next(iter(r))]["n_seeds"] for n, r in summary.rows.items() if r}
    lines = _table(summary.rows, columns)
    if summary.differences:
        lines += ["", f"Paired differences against **{summary.reference}** (row minus reference, same images):", ""]
        lines += _table(
            summary.differences, [c for c in columns if any(c in r for r in summary.differences.values())], True
        )
    where = f"protocol={context['protocol']}" if context.get("protocol") else f"split={context.get('split', 'test')}"
    lines += [
        "",
        f"{evaluation.n_images} images ({where}); cells: mean [95% bootstrap "
        f"interval over images, {summary.bootstrap['resamples']} resamples]"
        + ("; mean ± std over seeds" if any(n > 1 for n in seeds.values()) else "")
        + f"; colorfulness: {COLORFULNESS_VARIANT}; PSNR/SSIM on RGB in [0, 1].",
    ]
    if evaluation.n_images < 2:
        lines.append("- one image: no interval can be estimated (score more images)")
    lines += [f"- {name}: {n} seeds" for name, n in seeds.items() if n > 1]
    lines += [f"- {name} skipped: {why}" for name, why in evaluation.skipped.items()]
    if evaluation.unreadable:
        lines.append(f"- {len(evaluation.unreadable)} unreadable images left out: {', '.join(evaluation.unreadable)}")
    lines += [f"- {name}: {note}" for name, note in (evaluation.notes | _ambiguous_notes(summary)).items()]
    lines += [f"- warning: {w}" for w in context.get("warnings", [])]
    return "\n".join(lines) + "\n"


def write_per_image_csv(path: Path, evaluation: Evaluation) -> None:
    """One row per (model, image): ``model, path`` and one column per metric with per-image values."""
    metrics = [c for c in COLUMNS if any(c in v for v in evaluation.per_image.values())]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["model", "path", *metrics])
        for model, values in evaluation.per_image.items():
            for i, image in enumerate(evaluation.paths):
                writer.writerow([model, image, *(f"{float(values[m][i]):.6g}" if m in values else "" for m in metrics)])


def wandb_table(summary: Summary) -> tuple[list[str], list[list]]:
    """The main table as W&B columns: each metric's mean, interval ends and seed std, as numbers."""
    columns = columns_of(summary)
    names = ["model"] + [f"{c}{s}" for c in columns for s in ("", "_ci_low", "_ci_high", "_std_seeds")]
    rows = []
    for name, row in summary.rows.items():
        cells: list = [name]
        for c in columns:
            entry = row.get(c) or {}
            ci = entry.get("ci95") or [None, None]
            cells += [entry.get("mean"), ci[0], ci[1], entry.get("std_seeds")]
        rows.append(cells)
    return names, rows


def _ambiguous_notes(summary: Summary) -> dict:
    """What data=ambiguous's metrics mean (the mode_hit radius among it), when the table has them."""
    return {k: v for k, v in ambiguous.NOTES.items() if any(k in row for row in summary.rows.values())}


def write_report(
    run_dir: Path, stem: str, evaluation: Evaluation, summary: Summary, record: dict
) -> tuple[dict, dict[str, Path]]:
    """``stem.json``, ``stem.md``, ``stem_grid.png`` and ``per_image.csv`` in ``run_dir``; the record and paths."""
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = {k: run_dir / f"{stem}{suffix}" for k, suffix in (("json", ".json"), ("md", ".md"), ("grid", "_grid.png"))}
    paths["per_image"] = run_dir / "per_image.csv"
    record = {
        **record,
        "n_images": evaluation.n_images,
        "results": summary.rows,
        "differences": {"reference": summary.reference, "rows": summary.differences},
        "bootstrap": summary.bootstrap,
        "skipped": evaluation.skipped,
        "unreadable_images": evaluation.unreadable,
        "warnings": [*record.get("warnings", []), *evaluation.warnings],
        "notes": {**NOTES, **_ambiguous_notes(summary), **evaluation.notes},
    }
    paths["json"].write_text(json.dumps(record, indent=2, default=float) + "\n")
    table = markdown_report(summary, evaluation, record)
    paths["md"].write_text(table + f"\nGrid columns: {' | '.join(evaluation.grid_columns)}\n")
    Image.fromarray(evaluation.grid).save(paths["grid"])
    write_per_image_csv(paths["per_image"], evaluation)
    return record, paths
