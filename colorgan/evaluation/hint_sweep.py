"""The hint sweep of Zhang et al. 2017 (Fig. 6; colorization-pytorch ``test_sweep.py``): reveal N random
6x6 patches of each image's mean true ab, for N from 0 to 500, and measure how close each colorizer gets.

Every model sees the same hints on the same image: image i's patches are drawn from ``seed + i`` (its place
in the scored list), and the sets are nested (the 10 hints are the first 10 of the 20), so a curve is not
noisier than the hints it is given. A model trained without hints cannot take any: its automatic result
is its line at every N, marked ``hints_used=false``. Writes ``hint_sweep.csv`` and ``hint_sweep.png``.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from omegaconf import DictConfig
from torch import Tensor
from torch.utils.data import DataLoader
from tqdm import tqdm

from colorgan.color import rgb_to_L_ab, rgb_to_lab
from colorgan.evaluation.bootstrap import bootstrap_intervals
from colorgan.evaluation.hint_sweep_plot import plot_hint_sweep
from colorgan.hints import draw_patches, hint_map, paint_hints
from colorgan.hints.simulation import LOCATION_STD, Patches
from colorgan.inference import predict_ab
from colorgan.metrics import psnr
from colorgan.metrics.ciede2000 import delta_e_ciede2000
from colorgan.models.colorizer import Colorizer

log = logging.getLogger(__name__)
COUNTS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500)  # the ticks of the paper's Fig. 6 (test_sweep.py's plot)
PATCH = 6  # test_sweep.py: opt.sample_Ps = [6]
METRICS = ("psnr", "delta_e2000")


@dataclass
class HintSweep:
    """``per_image[model][n][metric]``: ``(N,)`` values over the scored images, for each hint count ``n``."""

    counts: list[int]
    per_image: dict[str, dict[int, dict[str, Tensor]]]
    hints_used: dict[str, bool]
    n_images: int


def sweep_patches(first_index: int, batch: int, size: tuple[int, int], count: int, patch: int, seed: int) -> Patches:
    """``count`` patches of side ``patch`` for each image of a batch, image i drawn from ``seed + i``."""
    drawn = []
    for i in range(first_index, first_index + batch):
        sizes = torch.full((1, count), patch, dtype=torch.long)
        generator = torch.Generator().manual_seed(seed + i)
        drawn.append(draw_patches(sizes, torch.ones_like(sizes, dtype=torch.bool), *size, LOCATION_STD, generator))
    return Patches(*(torch.cat([getattr(p, f) for p in drawn]) for f in ("tops", "lefts", "sizes", "active")))


def _scores(rgb_hat: Tensor, truth: Tensor) -> dict[str, Tensor]:
    delta_e = delta_e_ciede2000(rgb_to_lab(rgb_hat), rgb_to_lab(truth)).mean(dim=(1, 2))
    return {"psnr": psnr(rgb_hat, truth).double().cpu(), "delta_e2000": delta_e.double().cpu()}


def _score_batch(
    model: Colorizer, L: Tensor, ab_lab: Tensor, truth: Tensor, patches: Patches, counts: list[int]
) -> dict[int, dict[str, Tensor]]:
    """One model's scores at every hint count on one batch (a model without hints: its automatic result)."""
    if not model.uses_hints:
        automatic = _scores(model.to_rgb(L, predict_ab(model, L)), truth)
        return {n: automatic for n in counts}
    scores = {}
    for n in counts:
        hints = paint_hints(ab_lab, patches.first(n))
        hints = hint_map(hints[:, :2] / model.ab_scale, hints[:, 2:] > 0)  # at the model's ab scale
        scores[n] = _scores(model.to_rgb(L, predict_ab(model, L, hints=hints)), truth)
    return scores


@torch.no_grad()
def run_hint_sweep(
    models: dict[str, Colorizer], loader: DataLoader, device: torch.device,
    counts: Sequence[int] = COUNTS, patch: int = PATCH, seed: int = 0,
) -> HintSweep:  # fmt: skip
    """Score every model at every hint count on every image of ``loader`` (module docstring)."""
    counts = sorted(set(int(n) for n in counts))
    values = {m: {n: {k: [] for k in METRICS} for n in counts} for m in models}
    seen = 0
    for batch in tqdm(loader, desc="hint sweep", unit="batch", disable=len(loader) < 2):
        if batch["rgb"].shape[0] == 0:
            continue
        rgb_u8 = batch["rgb"].to(device)
        L, ab_lab = rgb_to_L_ab(rgb_u8, ab_scale=1.0)  # hints in Lab units; each model gets them at its own scale
        drawn = sweep_patches(seen, L.shape[0], tuple(L.shape[-2:]), max(counts), patch, seed)
        patches = Patches(*(t.to(device) for t in (drawn.tops, drawn.lefts, drawn.sizes, drawn.active)))
        seen += L.shape[0]
        for name, model in models.items():
            for n, scores in _score_batch(model, L, ab_lab, rgb_u8.float() / 255.0, patches, counts).items():
                for key, per_image in scores.items():
                    values[name][n][key].append(per_image)
    if not seen:
        raise ValueError("no images for the hint sweep")
    per_image = {
        m: {n: {k: torch.cat(v) for k, v in by_n.items()} for n, by_n in rows.items()} for m, rows in values.items()
    }
    return HintSweep(counts, per_image, {m: model.uses_hints for m, model in models.items()}, seen)


def _row_series(sweep: HintSweep, groups: dict[str, list[str]]) -> dict[str, Tensor]:
    """Per-image series ``row|n|metric`` (a row's seeds averaged per image) and ``row|n|metric_gain``: the paired
    difference against the same row at the fewest hints (N = 0 by default)."""
    series = {}
    for row, members in groups.items():
        for key in METRICS:
            by_n = {n: torch.stack([sweep.per_image[m][n][key] for m in members]).mean(0) for n in sweep.counts}
            for n, values in by_n.items():
                series[f"{row}|{n}|{key}"] = values
                series[f"{row}|{n}|{key}_gain"] = values - by_n[sweep.counts[0]]
    return series


def sweep_rows(
    sweep: HintSweep, groups: dict[str, list[str]] | None = None, resamples: int = 2000, seed: int = 0
) -> list[dict]:
    """One row per (model row, hint count): each metric's mean and 95% bootstrap interval over images, and its
    gain over the fewest hints (paired, per image); the checkpoints of a row (its seeds) averaged per image
    first; one draw of images for all, so every interval is paired."""
    groups = groups or {name: [name] for name in sweep.per_image}
    intervals = bootstrap_intervals(_row_series(sweep, groups), resamples, seed=seed)
    rows = []
    for row, members in groups.items():
        for n in sweep.counts:
            entry = {"model": row, "n_hints": n, "hints_used": all(sweep.hints_used[m] for m in members)}
            for key in (*METRICS, *(f"{k}_gain" for k in METRICS)):
                iv = intervals[f"{row}|{n}|{key}"]
                entry |= {f"{key}_mean": iv.mean, f"{key}_ci95_low": iv.low, f"{key}_ci95_high": iv.high}
            rows.append(entry | {"n_images": sweep.n_images, "n_seeds": len(members)})
    return rows


def write_sweep_csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def on_imagenet(cfg: DictConfig) -> bool:
    """Whether the scored images are ImageNet's (a protocol, or data=imagenet): where the published curve applies."""
    return cfg.get("protocol") is not None or str(cfg.data.get("_target_", "")).endswith("ImageNetDataModule")


def hint_sweep_report(
    cfg: DictConfig, models: dict[str, Colorizer], loader: DataLoader, device: torch.device,
    groups: dict[str, list[str]] | None = None,
) -> dict[str, str]:  # fmt: skip
    """Run the sweep for evaluate or compare (``hint_sweep=true``); write hint_sweep.csv and .png into the
    run's output folder and return their paths."""
    if not any(model.uses_hints for model in models.values()):
        log.warning("hint sweep: no model here was trained with hints; their lines are flat (automatic results)")
    sweep = run_hint_sweep(models, loader, device, cfg.hint_sweep_counts, cfg.hint_sweep_patch, cfg.seed)
    rows = sweep_rows(sweep, groups, cfg.bootstrap_resamples, cfg.seed)
    published = on_imagenet(cfg) if cfg.hint_sweep_published == "auto" else bool(cfg.hint_sweep_published)
    out = Path(cfg.paths.output_dir)
    csv_path = write_sweep_csv(out / "hint_sweep.csv", rows)
    png_path = plot_hint_sweep(rows, out / "hint_sweep.png", published)
    return {"hint_sweep_csv": str(csv_path), "hint_sweep_png": str(png_path)}
