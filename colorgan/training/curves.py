"""Learning curves from a run's own metrics.csv: train losses and every val metric against steps.

A researcher without W&B still sees whether a run learns: every training run writes ``RUN/curves.png`` when
it ends (``CurvesPlot``), and ``python -m colorgan.compare ... curves=true`` overlays the runs it compares.
"""

from __future__ import annotations

import csv
import logging
import math
from collections import defaultdict
from pathlib import Path

import matplotlib
import pytorch_lightning as pl
from matplotlib.figure import Figure  # not pyplot: no global backend or figure state, safe headless
from pytorch_lightning.loggers import CSVLogger

log = logging.getLogger(__name__)

Series = dict[str, tuple[list[float], list[float]]]  # metric key -> (steps, values)
HIDDEN = ("val/colorfulness_gt",)  # drawn as the dashed truth line of val/colorfulness, not as its own panel
SMOOTHING = 0.9  # exponential moving average of the noisy per-step train losses (the raw values are drawn faint)
COLUMNS = 4


def read_metrics(path: Path) -> Series:
    """Every numeric column of a Lightning metrics.csv (except epoch and step) as ``(steps, values)``,
    in step order; a row's empty cells are metrics not logged at that step."""
    series: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            step = _number(row.get("step"))
            if step is None:
                continue
            for key, text in row.items():
                value = _number(text)
                if key not in ("epoch", "step") and value is not None:
                    series[key].append((step, value))
    return {k: ([s for s, _ in sorted(v)], [x for _, x in sorted(v)]) for k, v in series.items()}


def _number(text: str | None) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _smoothed(values: list[float]) -> list[float]:
    out, average = [], None
    for v in values:
        average = v if average is None else SMOOTHING * average + (1 - SMOOTHING) * v
        out.append(average)
    return out


def panel_keys(runs: dict[str, Series]) -> list[str]:
    """The panels: train losses first, then val metrics, then anything else, each in first-seen order."""
    keys = list(dict.fromkeys(k for series in runs.values() for k in series if k not in HIDDEN))
    keys = [k for k in keys if not (k.endswith("/unreadable_images") and _all_zero(runs, k))]  # nothing to see
    order = {"train": 0, "val": 1}
    return sorted(keys, key=lambda k: order.get(k.split("/", 1)[0], 2))


def _all_zero(runs: dict[str, Series], key: str) -> bool:
    return all(v == 0 for series in runs.values() for v in series.get(key, ([], []))[1])


def plot_curves(runs: dict[str, Series], out: Path, title: str = "") -> Path:
    """One panel per metric, one line per run (``runs``: label -> series), written to ``out`` (PNG)."""
    keys = panel_keys(runs)
    if not keys:
        raise ValueError("no metric to plot: the metrics.csv files hold no numeric column")
    rows = math.ceil(len(keys) / COLUMNS)
    fig = Figure(figsize=(4 * COLUMNS, 2.8 * rows))
    axes = fig.subplots(rows, COLUMNS, squeeze=False)
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, key in zip(axes.flat, keys):
        for i, (label, series) in enumerate(runs.items()):
            if key not in series:
                continue
            steps, values = series[key]
            colour = colours[i % len(colours)]
            if key.startswith("train/") and len(values) > 2:
                ax.plot(steps, values, color=colour, alpha=0.25, linewidth=0.8)
                values = _smoothed(values)
            ax.plot(steps, values, color=colour, marker="." if len(values) < 30 else None, label=label)
            truth = series.get(f"{key}_gt")
            if truth:
                ax.plot(*truth, color=colour, linestyle="--", linewidth=0.8)
        ax.set_title(key + (" (dashed: truth)" if any(f"{key}_gt" in s for s in runs.values()) else ""), fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(keys) :]:
        ax.axis("off")
    if len(runs) > 1:
        seen = {}  # every run once, from whichever panel draws it (a GAN's losses are not a regressor's)
        for ax in axes.flat:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                seen.setdefault(label, handle)
        fig.legend(list(seen.values()), list(seen), loc="lower center", ncol=min(len(runs), 4), fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.04 if len(runs) > 1 else 0, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)  # Agg, chosen by the file name
    return out


def run_metrics_file(ckpt: Path) -> Path:
    """A checkpoint's run directory's metrics.csv (``RUN/checkpoints/x.ckpt`` -> ``RUN/metrics.csv``)."""
    run = ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent
    return run / "metrics.csv"


def compare_curves(ckpts: dict[str, Path], out: Path) -> tuple[Path | None, list[str]]:
    """``out`` overlaying the runs of ``ckpts`` (label -> checkpoint), and the runs left out, with why."""
    runs, missing = {}, []
    for label, ckpt in ckpts.items():
        path = run_metrics_file(Path(ckpt))
        if path.is_file():
            runs[label] = read_metrics(path)
        else:
            missing.append(f"{label}: no {path}")
    return (plot_curves(runs, out, "validation and training curves") if runs else None), missing


class CurvesPlot(pl.Callback):
    """When fitting ends, on rank 0: ``RUN/curves.png`` from the CSV logger's metrics.csv.

    Drawn also after an interrupted or failed fit (what was logged so far). Without a CSV logger
    (``logger=none`` or tensorboard alone) there is no metrics.csv, and the log says so.
    """

    def __init__(self, path: str):
        self.path = Path(path)

    def _write(self, trainer: pl.Trainer) -> None:
        if not trainer.is_global_zero or trainer.fast_dev_run:
            return
        csv_logger = next((lg for lg in trainer.loggers if isinstance(lg, CSVLogger)), None)
        if csv_logger is None:
            log.info("no curves.png: no CSV logger (logger=csv or wandb writes metrics.csv)")
            return
        csv_logger.save()  # flush the rows still buffered
        metrics = Path(csv_logger.experiment.metrics_file_path)
        try:
            plot_curves({"run": read_metrics(metrics)}, self.path, title=str(self.path.parent))
            log.info("learning curves: %s", self.path)
        except (OSError, ValueError) as err:  # no rows yet, a full disk: the run itself is not at stake
            log.warning("could not draw %s from %s: %s", self.path, metrics, err)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._write(trainer)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._write(trainer)
