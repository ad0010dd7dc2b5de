"""Writing evaluations for people (markdown tables, a grid) and for programs (JSON, per-image CSV)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from PIL import Image

from colorgan.evaluation import ambiguous
from colorgan.evaluation.rows import rows_table
from colorgan.evaluation.scoring import GRAY, Evaluation
from colorgan.evaluation.semantic import TOP1, TOP1_GT
from colorgan.evaluation.summary import Summary
from colorgan.metrics import (
    COLORFULNESS_VARIANT,
    HIGHER_IS_BETTER,
    METRIC_NAMES,
    REBALANCED_AUC,
    REBALANCED_WEIGHT,
    RGB_DATA_RANGE,
    STABILITY_METRICS,
)

COLUMNS = (*STABILITY_METRICS, *METRIC_NAMES, REBALANCED_AUC, TOP1, TOP1_GT, "fid", "lpips", *ambiguous.NAMES)
BETTER_HIGH = {**HIGHER_IS_BETTER, TOP1: True, "fid": False, "lpips": False, **ambiguous.HIGHER_IS_BETTER}
NOTES = {
    "rgb_data_range": RGB_DATA_RANGE,
    "colorfulness_variant": COLORFULNESS_VARIANT,
    "ab_units": "CIE Lab (D65); l1_ab, l2_ab, delta_e2000 on the Lab of the displayed sRGB",
    "auc": "Zhang et al. 2016: mean over thresholds 0..150 of the share of pixels with ab distance <= t",
    REBALANCED_AUC: "the same with each pixel weighted by 1 / prior of its true ab bin, pooled over all scored pixels "
    "(Zhang et al. 2016): sum(auc_rebalanced * auc_rebalanced_weight) / sum(auc_rebalanced_weight) over the images of "
    "per_image.csv, whose auc_rebalanced is each image's own value and auc_rebalanced_weight its pixels' weight sum",
    TOP1: "top-1 accuracy of an ImageNet classifier (classifier=) on the colorized images; top1_gt on the truth",
    "intervals": "ci95: 95% percentile bootstrap interval; over: what it resampled: images, or for a row of several "
    "seeds and every difference involving one, its seeds and then the images (two-level); std_seeds: std of the "
    "per-seed means. per_image.csv has every seed's value on every image",
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


def _table(
    rows: dict[str, dict[str, dict]], columns: list[str], signed: bool = False, marks: dict | None = None
) -> list[str]:
    lines = ["| model | " + " | ".join(_header(c) for c in columns) + " |", "|---|" + "---|" * len(columns)]
    for name, row in rows.items():
        mark = (marks or {}).get(name)
        label = f"{name} ⚠ {'; '.join(mark)}" if mark else name  # not the paper's model: said in the table itself
        lines.append(f"| {label} | " + " | ".join(cell(row.get(c), signed) for c in columns) + " |")
    return lines


def _footer(summary: Summary, evaluation: Evaluation, context: dict) -> list[str]:
    seeds = {n: r[next(iter(r))]["n_seeds"] for n, r in summary.rows.items() if r}
    unit = context.get("unit", "images")  # films, for data=video
    where = f"protocol={context['protocol']}" if context.get("protocol") else f"split={context.get('split', 'test')}"
    where = f"below {context['root']}" if unit == "films" else where
    shape = (context.get("geometry") or {}).get("preprocessing")
    lines = [
        "",
        f"{evaluation.n_images} {unit} ({where}{f'; {shape}' if shape else ''}); cells: mean [95% bootstrap "
        f"interval, {summary.bootstrap['resamples']} resamples, over {unit}"
        + (f"; for a row of several seeds and its differences: over its seeds, then {unit}], mean ± std over seeds"
           if any(n > 1 for n in seeds.values()) else "; one seed per row]")
        + f"; colorfulness: {COLORFULNESS_VARIANT}; PSNR/SSIM on RGB in [0, 1].",
    ]  # fmt: skip
    if context.get("split_reason"):
        lines.append(f"- images: {context['split_reason']}")
    if evaluation.n_images < 2:
        lines.append(f"- one {unit.removesuffix('s')}: no interval can be estimated (score more {unit})")
    lines += [f"- {name}: {n} seeds" for name, n in seeds.items() if n > 1]
    if any(REBALANCED_AUC in row for row in summary.rows.values()):
        lines.append(f"- {REBALANCED_AUC}: pooled over every scored pixel, as Zhang et al. 2016 (not a mean of images)")
    gray = len(evaluation.grayscale) + len(evaluation.excluded_grayscale)
    if gray or context.get("protocol"):
        kept = "left out" if evaluation.excluded_grayscale else "scored (on them the gray baseline is perfect)"
        lines.append(f"- grayscale photos (no colour in the truth): {gray}, {kept}")
    return lines


def markdown_report(summary: Summary, evaluation: Evaluation, context: dict) -> str:
    """The main table (gray baseline first), the paired differences, what each row is, and what the numbers
    rest on."""
    columns = columns_of(summary)
    rows = context.get("rows") or {}
    marks = {name: row["marks"] for name, row in rows.items()}
    lines = _table(summary.rows, columns, marks=marks)
    unit = context.get("unit", "images")  # films, for data=video
    if summary.differences:
        lines += ["", f"Paired differences against **{summary.reference}** (row minus reference, same {unit}):", ""]
        lines += _table(
            summary.differences, [c for c in columns if any(c in r for r in summary.differences.values())], True
        )
    if rows:
        lines += ["", "What each row is:", "", *rows_table(rows)]
    lines += _footer(summary, evaluation, context)
    lines += [f"- {name} skipped: {why}" for name, why in evaluation.skipped.items()]
    if evaluation.unreadable:
        lines.append(f"- {len(evaluation.unreadable)} unreadable images left out: {', '.join(evaluation.unreadable)}")
    lines += [f"- {name}: {note}" for name, note in (evaluation.notes | _ambiguous_notes(summary)).items()]
    lines += [f"- warning: {w}" for w in context.get("warnings", [])]
    return "\n".join(lines) + "\n"


def write_per_image_csv(path: Path, evaluation: Evaluation, groups: dict[str, list[str]], rows: dict) -> None:
    """One line per (row, seed, image): ``model`` (the row), ``seed`` (its checkpoint's place in the row),
    ``checkpoint``, ``path`` and one column per metric, so every interval can be recomputed from the file."""
    metrics = [c for c in (*COLUMNS, REBALANCED_WEIGHT) if any(c in v for v in evaluation.per_image.values())]
    groups = {GRAY: [GRAY], **groups}
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["model", "seed", "checkpoint", "path", *metrics])
        for row, members in groups.items():
            checkpoints = [c["path"] for c in rows.get(row, {}).get("checkpoints", [])] or [""] * len(members)
            for seed, (key, checkpoint) in enumerate(zip(members, checkpoints)):
                values = evaluation.per_image[key]
                for i, image in enumerate(evaluation.paths):
                    cells = (f"{float(values[m][i]):.6g}" if m in values else "" for m in metrics)
                    writer.writerow([row, seed, checkpoint, image, *cells])


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
    run_dir: Path, evaluation: Evaluation, summary: Summary, record: dict, groups: dict[str, list[str]]
) -> tuple[dict, dict[str, Path]]:
    """``metrics.json``, ``metrics.md``, ``metrics_grid.png`` and ``per_image.csv`` in ``run_dir`` (evaluate and
    compare alike); the record and the paths."""
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = {k: run_dir / f"metrics{suffix}" for k, suffix in (("json", ".json"), ("md", ".md"), ("grid", "_grid.png"))}
    paths["per_image"] = run_dir / "per_image.csv"
    record = {
        **record,
        "n_images": evaluation.n_images,
        "grayscale_images": {"scored": len(evaluation.grayscale), "excluded": len(evaluation.excluded_grayscale),
                             "paths": [*evaluation.grayscale, *evaluation.excluded_grayscale]},
        "results": summary.rows,
        "differences": {"reference": summary.reference, "rows": summary.differences},
        "bootstrap": summary.bootstrap,
        "skipped": evaluation.skipped,
        "unreadable_images": evaluation.unreadable,
        "warnings": [*record.get("warnings", []), *evaluation.warnings],
        "notes": {**NOTES, **_ambiguous_notes(summary), **evaluation.notes},
    }  # fmt: skip
    paths["json"].write_text(json.dumps(record, indent=2, default=float) + "\n")
    table = markdown_report(summary, evaluation, record)
    paths["md"].write_text(table + f"\nGrid columns: {' | '.join(evaluation.grid_columns)}\n")
    Image.fromarray(evaluation.grid).save(paths["grid"])
    write_per_image_csv(paths["per_image"], evaluation, groups, record["rows"])
    return record, paths
