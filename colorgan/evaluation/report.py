"""Writing evaluations for people (a markdown table, a grid) and for programs (JSON)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from PIL import Image

from colorgan.evaluation.metrics import (
    COLORFULNESS_VARIANT,
    HIGHER_IS_BETTER,
    METRIC_NAMES,
    REBALANCED_AUC,
    RGB_DATA_RANGE,
)
from colorgan.evaluation.scoring import Evaluation

COLUMNS = (*METRIC_NAMES, REBALANCED_AUC, "fid", "lpips")
BETTER_HIGH = {**HIGHER_IS_BETTER, "fid": False, "lpips": False}
NOTES = {
    "rgb_data_range": RGB_DATA_RANGE,
    "colorfulness_variant": COLORFULNESS_VARIANT,
    "ab_units": "CIE Lab (D65); l1_ab, l2_ab, delta_e2000 on the Lab of the displayed sRGB",
    "auc": "Zhang et al. 2016: mean over thresholds 0..150 of the share of pixels with ab distance <= t",
    REBALANCED_AUC: "the same with each pixel weighted by 1 / prior of its true ab bin, per image (Zhang et al. 2016)",
}


def _header(key: str) -> str:
    better = BETTER_HIGH.get(key)
    return key if better is None else f"{key} {'↑' if better else '↓'}"


def _cell(value: float | None) -> str:
    if value is None:
        return "–"
    if math.isinf(value):
        return "inf"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.3e}"


def markdown_table(evaluation: Evaluation) -> str:
    """Rows = models (gray baseline first), columns = metrics that any row has; skips listed below."""
    columns = [c for c in COLUMNS if any(c in r for r in evaluation.results.values())]
    lines = [
        "| model | " + " | ".join(_header(c) for c in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for name, row in evaluation.results.items():
        lines.append(f"| {name} | " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    lines.append("")
    lines.append(f"{evaluation.n_images} images; colorfulness: {COLORFULNESS_VARIANT}; PSNR/SSIM on RGB in [0, 1].")
    lines += [f"- {name} skipped: {why}" for name, why in evaluation.skipped.items()]
    lines += [f"- {name}: {note}" for name, note in evaluation.notes.items()]
    return "\n".join(lines) + "\n"


def write_report(run_dir: Path, stem: str, evaluation: Evaluation, record: dict) -> tuple[dict, dict[str, Path]]:
    """``stem.json``, ``stem.md`` and ``stem_grid.png`` in ``run_dir``; returns the JSON record and the paths."""
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": run_dir / f"{stem}.json", "md": run_dir / f"{stem}.md", "grid": run_dir / f"{stem}_grid.png"}
    notes = {**NOTES, **evaluation.notes}
    record = {**record, "n_images": evaluation.n_images, "skipped": evaluation.skipped, "notes": notes}
    paths["json"].write_text(json.dumps(record, indent=2, default=float) + "\n")
    paths["md"].write_text(markdown_table(evaluation) + f"\nGrid columns: {' | '.join(evaluation.grid_columns)}\n")
    Image.fromarray(evaluation.grid).save(paths["grid"])
    return record, paths
