"""Semantic interpretability (Zhang et al. 2016, Sec. 3.1, Table 1): does an ImageNet classifier still
recognise the object in a colorization? Top-1 accuracy on each model's images, on gray and on the truth.

Built like FID: it runs when the classifier's weights load (``classifier`` a timm name, its weights
online, in the hub cache, or ``classifier_weights=/path/file``) and the images have ImageNet labels
(``labels=``, see imagenet_labels.py); otherwise it is skipped by name with the reason.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from omegaconf import DictConfig
from timm.data import resolve_model_data_config
from torch import Tensor, nn

from colorgan.errors import ConfigError
from colorgan.evaluation.imagenet_labels import load_labels
from colorgan.evaluation.perceptual import _reason
from colorgan.models.nets.timm_models import create_timm_model

TOP1, TOP1_GT = "top1", "top1_gt"  # per image: 1 when the classifier's top class is the true one


class Classifier:
    """An ImageNet classifier with timm's evaluation preprocessing (short side to input / crop_pct,
    centre crop, normalize), applied to batches of RGB in [0, 1]; labels looked up by file."""

    def __init__(self, model: nn.Module, labels: dict[Path, int], device: torch.device):
        self.model = model.eval().to(device)
        config = resolve_model_data_config(model)
        self.size = int(config["input_size"][-1])
        self.scale = math.floor(self.size / config["crop_pct"])
        self.mode = "bicubic" if config["interpolation"] == "bicubic" else "bilinear"
        self.mean = torch.tensor(config["mean"], device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(config["std"], device=device).view(1, 3, 1, 1)
        self.labels = labels

    def preprocess(self, rgb: Tensor) -> Tensor:
        h, w = rgb.shape[-2:]
        size = (self.scale, round(w * self.scale / h)) if h <= w else (round(h * self.scale / w), self.scale)
        x = F.interpolate(rgb.float(), size=size, mode=self.mode, align_corners=False, antialias=True).clamp(0, 1)
        top, left = (x.shape[-2] - self.size) // 2, (x.shape[-1] - self.size) // 2
        return (x[..., top : top + self.size, left : left + self.size] - self.mean) / self.std

    @torch.no_grad()
    def correct(self, rgb: Tensor, paths: list[str]) -> Tensor:
        """``(B,)`` 1.0 where the top-1 class of ``rgb`` ``(B, 3, H, W)`` is the label of its file."""
        truth = torch.tensor([self.labels[Path(p)] for p in paths], device=rgb.device)
        return (self.model(self.preprocess(rgb)).argmax(dim=1) == truth).double()


def semantic_scores(classifier: Classifier | None, predictions: dict[str, Tensor], truth: Tensor, paths: list[str]):
    """``{model: {"top1": (B,), "top1_gt": (B,)}}`` for one batch; empty without a classifier."""
    if classifier is None:
        return {}
    on_truth = classifier.correct(truth, paths).cpu()
    return {name: {TOP1: classifier.correct(rgb, paths).cpu(), TOP1_GT: on_truth} for name, rgb in predictions.items()}


def build_classifier(cfg: DictConfig, files: list[Path], device: torch.device) -> tuple[Classifier | None, dict]:
    """``(classifier, {})`` or ``(None, {"top1": why})``; labels first, so nothing downloads without them."""
    if not cfg.get("classifier"):
        return None, {TOP1: "disabled (classifier=null)"}
    if not cfg.get("labels"):
        return None, {TOP1: "no ImageNet labels for these images: labels=/path/ILSVRC2012_validation_ground_truth.txt"}
    try:
        labels = load_labels(cfg.labels, files, cfg.data.get("root"))
    except ValueError as err:  # the user named a labels file that does not fit: an error, not a skip
        raise ConfigError(str(err)) from err
    try:
        model = create_timm_model(cfg.classifier, cfg.get("classifier_weights") or True)
    except Exception as err:  # no network, no cache, a bad file, an unknown name
        return None, {TOP1: f"classifier weights unavailable: {_reason(err)}"}
    return Classifier(model, labels, device), {}
