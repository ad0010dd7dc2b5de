"""Measuring colorizers on one set of images: every metric per image, the gray baseline, one grid.

The one scoring path of ``colorgan.evaluate`` and ``colorgan.compare``: every model sees the same images,
converted the same way, scored by the same functions. Each net runs on the evaluation image itself, at
its size (a fully convolutional net has no input size of its own; fusion's classifier branch resizes to its
classifier's input inside the net). Per-image values are kept, for per_image.csv and for bootstrap intervals.
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
from colorgan.data.scan import gray_images
from colorgan.evaluation.ambiguous import region_metrics
from colorgan.evaluation.grids import image_grid
from colorgan.evaluation.perceptual import compute_or_reason, fid_sample_warning, perceptual_metrics
from colorgan.evaluation.rebalance import evaluation_prior
from colorgan.evaluation.semantic import build_classifier, semantic_scores
from colorgan.inference import predict_ab
from colorgan.metrics import colorization_metrics
from colorgan.models.colorizer import Colorizer
from colorgan.models.nets import FusionNet

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
    grayscale: list[str] = field(default_factory=list)  # scored images whose truth has no colour
    excluded_grayscale: list[str] = field(default_factory=list)  # gray images left out (exclude_grayscale)
    net_input: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # model -> what each net part saw

    @property
    def n_images(self) -> int:
        return len(self.paths)


def eval_files(cfg: DictConfig, split: str = "test") -> list[Path]:
    """The files of ``split`` of ``cfg.data`` (after the data check)."""
    return hydra.utils.instantiate(cfg.data).eval_files(split)


def eval_loader(cfg: DictConfig, files: list[Path], transform: Callable) -> DataLoader:
    """``files`` in order, through ``transform``; files that cannot be read are left out of the batches and
    listed in them."""
    dataset = ImageFileDataset(files, transform, skip_unreadable=True)
    return DataLoader(
        dataset, cfg.data.batch_size, num_workers=cfg.data.num_workers, shuffle=False, collate_fn=collate_readable
    )


def net_input(model: Colorizer, shape: tuple[int, int]) -> dict[str, list[int]]:
    """The input size of each part of the model's net when it colorizes an image of ``shape``."""
    sizes = {"net": list(shape)}
    if isinstance(model.generator, FusionNet):  # its classifier branch needs its own fixed input
        sizes["classifier"] = list(model.generator.classifier_size)
    return sizes


def _per_image(metric) -> Tensor | None:
    """Per-image values a torchmetrics metric kept (LPIPS keeps them), or None (FID keeps sums)."""
    scores = getattr(metric, "all_scores", None)
    return torch.cat([s.reshape(-1) for s in scores]).double().cpu() if scores else None


def _without_gray(batch: dict, gray: Tensor) -> dict:
    keep = (~gray).nonzero().flatten().tolist()
    return {**batch, "rgb": batch["rgb"][~gray], "path": [batch["path"][i] for i in keep]}


class _Scoring:
    """What the loop over batches accumulates for every model: per-image values, perceptual metrics, the grid."""

    def __init__(self, models, device, cfg, loader, prior, perceptual):
        self.models, self.device, self.cfg, self.prior = models, device, cfg, prior
        self.names = [GRAY, *models]
        self.values: dict[str, dict[str, list[Tensor]]] = {n: defaultdict(list) for n in self.names}
        self.extra = {
            n: {k: (make().to(device), update) for k, (make, update) in perceptual.items()} for n in self.names
        }
        self.classifier, self.no_classifier = build_classifier(cfg, loader.dataset.files, device)
        self.columns: dict[str, list[Tensor]] = defaultdict(list)
        self.paths: list[str] = []
        self.net_input: dict[str, dict[str, list[int]]] = {}

    def add(self, batch: dict) -> None:
        rgb_u8 = batch["rgb"].to(self.device)
        truth = rgb_u8.float() / 255.0  # (B, 3, H, W)
        L, _ = rgb_to_L_ab(rgb_u8)
        size = min(L.shape[-2:])  # every net runs on the evaluation image itself
        predictions = {GRAY: gray_rgb(L)}
        for name, model in self.models.items():
            predictions[name] = model.to_rgb(L, predict_ab(model, L, working_size=size))
            self.net_input.setdefault(name, net_input(model, tuple(L.shape[-2:])))
        for name, rgb_hat in predictions.items():
            scores = colorization_metrics(rgb_hat, truth, self.prior) | region_metrics(batch, rgb_hat, truth)
            for key, per_image in scores.items():
                self.values[name][key].append(per_image.double().cpu())
            for metric, update in self.extra[name].values():
                update(metric, rgb_hat, truth)
        for name, scores in semantic_scores(self.classifier, predictions, truth, batch["path"]).items():
            for key, per_image in scores.items():
                self.values[name][key].append(per_image)
        if len(self.paths) < self.cfg.max_grid_images:
            take = self.cfg.max_grid_images - len(self.paths)
            for name, rgb_hat in (predictions | {"truth": truth}).items():
                self.columns[name].append(rgb_hat[:take].cpu())
        self.paths += list(batch["path"])

    def set_level(self, per_image: dict, skipped: dict) -> dict[str, dict[str, float]]:
        """Perceptual metrics: per image where the metric keeps them (LPIPS), else one value for the set (FID)."""
        set_metrics: dict[str, dict[str, float]] = {n: {} for n in self.names}
        for name in self.names:
            for key, (metric, _) in self.extra[name].items():
                series = _per_image(metric)
                if series is not None:
                    per_image[name][key] = series
                    continue
                value, reason = compute_or_reason(metric)
                if value is None:
                    skipped[key] = reason
                else:
                    set_metrics[name][key] = value
        return set_metrics


@torch.no_grad()
def evaluate_colorizers(
    models: dict[str, Colorizer],
    loader: DataLoader,
    device: torch.device,
    cfg: DictConfig,
    grid_models: list[str] | None = None,
    exclude_grayscale: bool = False,
) -> Evaluation:
    """Score each model and the gray baseline on every image of ``loader``; the grid shows ``grid_models``
    (default: all) between the gray baseline and the truth. Images whose truth has no colour are counted, and
    with ``exclude_grayscale`` left out (on them the gray baseline is perfect)."""
    perceptual, skipped = perceptual_metrics(cfg.fid, cfg.get("fid_weights"), cfg.lpips, cfg.lpips_net)
    prior, no_prior = evaluation_prior(models, cfg.get("prior_file"), cfg.get("bins_file"))
    scoring = _Scoring(models, device, cfg, loader, prior, perceptual)
    skipped.update(no_prior | scoring.no_classifier)
    unreadable, grayscale, excluded = [], [], []
    for batch in tqdm(loader, desc="evaluating", unit="batch", disable=len(loader) < 2):
        unreadable += batch.get("unreadable", [])
        gray = gray_images(batch["rgb"]) if batch["rgb"].shape[0] else torch.zeros(0, dtype=torch.bool)
        (excluded if exclude_grayscale else grayscale).extend(p for p, g in zip(batch["path"], gray.tolist()) if g)
        if exclude_grayscale and gray.any():
            batch = _without_gray(batch, gray)
        if batch["rgb"].shape[0] > 0:
            scoring.add(batch)
    if not scoring.paths:
        raise ValueError("no images to evaluate")
    per_image = {n: {k: torch.cat(v) for k, v in scoring.values[n].items()} for n in scoring.names}
    set_metrics = scoring.set_level(per_image, skipped)
    order = [GRAY, *(grid_models or models), "truth"]
    grid = image_grid([torch.cat(scoring.columns[n]) for n in order])
    warnings = []
    if any("fid" in m for m in set_metrics.values()) and (note := fid_sample_warning(len(scoring.paths))):
        warnings.append(note)
    notes = {} if prior is None else {"auc_rebalanced_prior": prior.source}
    return Evaluation(per_image, scoring.paths, set_metrics, skipped, grid, order, unreadable, warnings, notes,
                      grayscale, excluded, scoring.net_input)  # fmt: skip
