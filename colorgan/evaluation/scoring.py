"""Measuring colorizers on one set of images: every metric per image, the gray baseline, one grid.

Shared by ``colorgan.evaluate`` (one checkpoint) and ``colorgan.compare`` (several): every model
sees the same images, converted the same way, run at its own working size, scored by the same
functions. Per-image values are kept, for per_image.csv and for bootstrap intervals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import hydra
import numpy as np
import torch
from omegaconf import DictConfig
from torch import Tensor
from torch.utils.data import DataLoader
from tqdm import tqdm

from colorgan.color import gray_rgb, rgb_to_L_ab
from colorgan.data.datasets import ImageFileDataset, collate_readable
from colorgan.data.transforms import val_transform
from colorgan.evaluation.ambiguous import region_metrics
from colorgan.evaluation.grids import image_grid
from colorgan.evaluation.perceptual import compute_or_reason, fid_sample_warning, perceptual_metrics
from colorgan.evaluation.rebalance import evaluation_prior
from colorgan.evaluation.semantic import build_classifier, semantic_scores
from colorgan.inference import predict_ab
from colorgan.metrics import colorization_metrics
from colorgan.models.base import ColorizationModule

GRAY = "gray (ab=0)"


@dataclass
class Evaluation:
    """Per-image metrics per model (the gray baseline first), set-level metrics (FID), the grid."""

    per_image: dict[str, dict[str, Tensor]]  # model -> metric -> (N,) float64
    paths: list[str]
    set_metrics: dict[str, dict[str, float]]  # model -> metric (no per-image value: FID)
    skipped: dict[str, str]
    grid: np.ndarray
    grid_columns: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # files that broke after indexing: not scored
    warnings: list[str] = field(default_factory=list)  # metrics computed, but to be read with care (FID)
    notes: dict[str, str] = field(default_factory=dict)  # e.g. which prior rebalanced the AuC

    @property
    def n_images(self) -> int:
        return len(self.paths)


def eval_files(cfg: DictConfig) -> list[Path]:
    """The files ``cfg.split`` of ``cfg.data`` names (after the data check)."""
    return hydra.utils.instantiate(cfg.data).eval_files(cfg.get("split") or "test")


def eval_loader(cfg: DictConfig, files: list[Path], transform: Callable | None = None) -> DataLoader:
    """``files`` in order, through ``transform`` (a protocol's) or resized (short side) and center-cropped
    to ``data.image_size``; files that cannot be read are left out of the batches and listed in them."""
    dataset = ImageFileDataset(files, transform or val_transform(cfg.data.image_size), skip_unreadable=True)
    return DataLoader(
        dataset, cfg.data.batch_size, num_workers=cfg.data.num_workers, shuffle=False, collate_fn=collate_readable
    )


def _per_image(metric) -> Tensor | None:
    """Per-image values a torchmetrics metric kept (LPIPS keeps them), or None (FID keeps sums)."""
    scores = getattr(metric, "all_scores", None)
    return torch.cat([s.reshape(-1) for s in scores]).double().cpu() if scores else None


@torch.no_grad()
def evaluate_colorizers(
    models: dict[str, ColorizationModule],
    loader: DataLoader,
    device: torch.device,
    cfg: DictConfig,
    grid_models: list[str] | None = None,
) -> Evaluation:
    """Score each model and the gray baseline on every image of ``loader``; the grid shows ``grid_models``
    (default: all) between the gray baseline and the truth."""
    perceptual, skipped = perceptual_metrics(cfg.fid, cfg.get("fid_weights"), cfg.lpips, cfg.lpips_net)
    prior, no_prior = evaluation_prior(models, cfg.get("prior_file"), cfg.get("bins_file"))
    classifier, no_classifier = build_classifier(cfg, loader.dataset.files, device)
    skipped.update(no_prior | no_classifier)
    names = [GRAY, *models]
    values: dict[str, dict[str, list[Tensor]]] = {n: defaultdict(list) for n in names}
    extra = {n: {k: (make().to(device), update) for k, (make, update) in perceptual.items()} for n in names}
    columns: dict[str, list[Tensor]] = defaultdict(list)
    paths: list[str] = []
    unreadable: list[str] = []
    for batch in tqdm(loader, desc="evaluating", unit="batch", disable=len(loader) < 2):
        unreadable += batch.get("unreadable", [])
        if batch["rgb"].shape[0] == 0:
            continue
        rgb_u8 = batch["rgb"].to(device)
        truth = rgb_u8.float() / 255.0  # (B, 3, H, W)
        L, _ = rgb_to_L_ab(rgb_u8)
        predictions = {GRAY: gray_rgb(L)} | {n: m.to_rgb(L, predict_ab(m, L)) for n, m in models.items()}
        for name, rgb_hat in predictions.items():
            scores = colorization_metrics(rgb_hat, truth, prior) | region_metrics(batch, rgb_hat, truth)
            for key, per_image in scores.items():
                values[name][key].append(per_image.double().cpu())
            for metric, update in extra[name].values():
                update(metric, rgb_hat, truth)
        for name, scores in semantic_scores(classifier, predictions, truth, batch["path"]).items():
            for key, per_image in scores.items():
                values[name][key].append(per_image)
        if len(paths) < cfg.max_grid_images:
            take = cfg.max_grid_images - len(paths)
            for name, rgb_hat in (predictions | {"truth": truth}).items():
                columns[name].append(rgb_hat[:take].cpu())
        paths += list(batch["path"])
    if not paths:
        raise ValueError("no images to evaluate")
    per_image = {n: {k: torch.cat(v) for k, v in values[n].items()} for n in names}
    set_metrics: dict[str, dict[str, float]] = {n: {} for n in names}
    for name in names:
        for key, (metric, _) in extra[name].items():
            series = _per_image(metric)
            if series is not None:
                per_image[name][key] = series
                continue
            value, reason = compute_or_reason(metric)
            if value is None:
                skipped[key] = reason
            else:
                set_metrics[name][key] = value
    order = [GRAY, *(grid_models or models), "truth"]
    grid = image_grid([torch.cat(columns[n]) for n in order])
    warnings = []
    if any("fid" in m for m in set_metrics.values()) and (note := fid_sample_warning(len(paths))):
        warnings.append(note)
    notes = {} if prior is None else {"auc_rebalanced_prior": prior.source}
    return Evaluation(per_image, paths, set_metrics, skipped, grid, order, unreadable, warnings, notes)
