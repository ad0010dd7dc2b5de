"""Measuring colorizers on one set of images: the full metric suite, the gray baseline, one grid.

Shared by ``colorgan.evaluate`` (one checkpoint) and ``colorgan.compare`` (several): every model
sees the same images, converted the same way, scored by the same functions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import hydra
import numpy as np
import torch
from omegaconf import DictConfig
from torch import Tensor
from torch.utils.data import DataLoader
from tqdm import tqdm

from colorgan.color import gray_rgb, rgb_to_L_ab
from colorgan.data.datasets import ImageFileDataset
from colorgan.data.transforms import val_transform
from colorgan.evaluation.grids import image_grid
from colorgan.evaluation.metrics import colorization_metrics
from colorgan.evaluation.perceptual import compute_or_reason, perceptual_metrics
from colorgan.evaluation.rebalance import evaluation_prior
from colorgan.models.base import ColorizationModule

GRAY = "gray (ab=0)"


@dataclass
class Evaluation:
    """Mean metrics per model (the gray baseline first), why some metrics are missing, the grid."""

    results: dict[str, dict[str, float]]
    skipped: dict[str, str]
    n_images: int
    grid: np.ndarray
    grid_columns: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # e.g. which prior rebalanced the AuC


def eval_loader(cfg: DictConfig) -> DataLoader:
    """The evaluation images of ``cfg.data`` (``cfg.split``), resized and center-cropped to ``data.image_size``."""
    datamodule = hydra.utils.instantiate(cfg.data)
    files = datamodule.eval_files(cfg.get("split"))
    dataset = ImageFileDataset(files, val_transform(cfg.data.image_size))
    return DataLoader(dataset, batch_size=cfg.data.batch_size, num_workers=cfg.data.num_workers, shuffle=False)


@torch.no_grad()
def evaluate_colorizers(
    models: dict[str, ColorizationModule], loader: DataLoader, device: torch.device, cfg: DictConfig
) -> Evaluation:
    """Score each model and the gray baseline on every image of ``loader``."""
    perceptual, skipped = perceptual_metrics(cfg.fid, cfg.get("fid_weights"), cfg.lpips, cfg.lpips_net)
    prior, no_prior = evaluation_prior(models, cfg.get("prior_file"), cfg.get("bins_file"))
    skipped.update(no_prior)
    names = [GRAY, *models]
    sums: dict[str, dict[str, float]] = {n: defaultdict(float) for n in names}
    extra = {n: {k: (make().to(device), update) for k, (make, update) in perceptual.items()} for n in names}
    columns: dict[str, list[Tensor]] = defaultdict(list)
    n_images = 0
    for batch in tqdm(loader, desc="evaluating", unit="batch", disable=len(loader) < 2):
        rgb_u8 = batch["rgb"].to(device)
        truth = rgb_u8.float() / 255.0  # (B, 3, H, W)
        L, _ = rgb_to_L_ab(rgb_u8)
        predictions = {GRAY: gray_rgb(L)} | {n: m.to_rgb(L, m(L)) for n, m in models.items()}
        for name, rgb_hat in predictions.items():
            for key, values in colorization_metrics(rgb_hat, truth, prior).items():
                sums[name][key] += values.double().sum().item()
            for metric, update in extra[name].values():
                update(metric, rgb_hat, truth)
        if n_images < cfg.max_grid_images:
            take = cfg.max_grid_images - n_images
            for name, rgb_hat in (predictions | {"truth": truth}).items():
                columns[name].append(rgb_hat[:take].cpu())
        n_images += L.shape[0]
    if n_images == 0:
        raise ValueError("no images to evaluate")
    results = {n: {k: v / n_images for k, v in sums[n].items()} for n in names}
    for name in names:
        for key, (metric, _) in extra[name].items():
            value, reason = compute_or_reason(metric)
            if value is None:
                skipped[key] = reason
            else:
                results[name][key] = value
    order = [*names, "truth"]
    grid = image_grid([torch.cat(columns[n]) for n in order])
    notes = {} if prior is None else {"auc_rebalanced_prior": prior.source}
    return Evaluation(results, skipped, n_images, grid, order, notes)
