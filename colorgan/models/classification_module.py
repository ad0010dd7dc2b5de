"""Zhang et al. 2016's colorizer: a distribution over ab bins per pixel, rebalanced cross-entropy, annealed mean.

``forward(L)`` returns ab at the input's resolution like every colorgan module (the annealed mean
of the 1/4-resolution prediction, upsampled bilinearly), so evaluation, colorize and the demo treat
it like any other model. ``loss="l2"`` is the paper's regression baseline on the same net.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MeanMetric

from colorgan import metrics
from colorgan.color import ab_bins
from colorgan.errors import ConfigError
from colorgan.models.base import HINTED, MODEL_CONFIG_KEY, ColorizationModule, trainable
from colorgan.models.colorizer import BinColorizer
from colorgan.models.gan_module import OptimizerFactory, SchedulerFactory

log = logging.getLogger(__name__)
LOSS_STRIDE = 4  # the net predicts at 1/4 resolution; targets are every 4th pixel (prototxt data_ab_ss)


def resolve_bins(bins: list | None, bins_file: str | None, grid: float) -> Tensor:
    """Explicit centres (stored in checkpoints) > the user's pts_in_hull.npy > the sRGB gamut's grid."""
    if bins is not None:
        return torch.tensor(bins, dtype=torch.float32).view(-1, 2)
    return ab_bins.load_bins(bins_file) if bins_file else ab_bins.gamut_bins(grid).clone()


class ClassificationColorizer(BinColorizer, ColorizationModule):
    """Zhang et al. 2016 in training: a ``BinColorizer`` (bins, prior, annealed mean) under rebalanced
    cross-entropy over soft-encoded bins (or L2 with ``loss="l2"``).

    ``generator`` is a factory called with ``out_channels`` (the number of bins is only known here).
    The prior comes from ``prior_file`` or from one pass over the training images (colorgan/training/ab_prior.py).
    """

    def __init__(
        self,
        generator: Callable[..., nn.Module],
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory = None,
        loss: str = "classification",
        bins_file: str | None = None,
        bins: list | None = None,
        grid: float = ab_bins.GRID,
        soft_neighbors: int = ab_bins.SOFT_NEIGHBORS,
        soft_sigma: float = ab_bins.SOFT_SIGMA,
        prior_file: str | None = None,
        prior_sigma: float = ab_bins.PRIOR_SIGMA,
        rebalance_lambda: float = ab_bins.PRIOR_LAMBDA,
        temperature: float = ab_bins.TEMPERATURE,
        nongray_threshold: float | None = 5.0,
        **common,
    ):
        centres = resolve_bins(bins, bins_file, grid)
        # BinColorizer builds the net and the bins; ColorizationModule takes channels_last, divergence...
        super().__init__(generator, loss=loss, bins=centres, temperature=temperature, **common)
        self.optimizer, self.scheduler = optimizer, scheduler
        self.soft_neighbors, self.soft_sigma = soft_neighbors, soft_sigma
        self.prior_file, self.prior_sigma, self.rebalance_lambda = prior_file, prior_sigma, rebalance_lambda
        self.nongray_threshold = nongray_threshold
        for store in (self.val_metrics, self.test_metrics):  # val/auc_rebalanced: this model has a prior
            for prefix in ("", *([f"{HINTED}_"] if self.uses_hints else [])):
                store[prefix + metrics.REBALANCED_AUC] = MeanMetric()
        if bins is None:
            log.info("ab bins: %d (%s)", centres.shape[0], bins_file or f"in-gamut sRGB grid of {grid:g}")

    def metric_prior(self) -> metrics.ABPrior | None:
        return metrics.ABPrior(self.bins, self.prior, "the model's own") if self.has_prior else None

    def objective(self, out: Tensor, ab: Tensor) -> Tensor:
        """The paper's loss on ab subsampled to the output grid: eq. 2 (rebalanced cross-entropy over the
        soft-encoded bins), or eq. 1 (L2) for the regression variant. Averaged over pixels."""
        target_ab = ab[..., ::LOSS_STRIDE, ::LOSS_STRIDE]  # (B, 2, h, w), normalized
        if self.loss == "l2":
            return 0.5 * (out.float() - target_ab).pow(2).sum(dim=1).mean()
        target_ab = target_ab * self.ab_scale  # Lab units
        target = ab_bins.soft_encode(target_ab, self.bins, self.soft_neighbors, self.soft_sigma)  # (B, Q, h, w)
        weights = ab_bins.rebalancing_weights(self.prior, self.rebalance_lambda)[target.argmax(dim=1)]  # (B, h, w)
        if self.nongray_threshold is not None:  # the prototxt's NonGrayMaskLayer: gray images teach nothing
            colourful = (target_ab.abs() > self.nongray_threshold).flatten(1).any(dim=1)
            weights = weights * colourful[:, None, None]
        cross_entropy = -(target * F.log_softmax(out.float(), dim=1)).sum(dim=1)  # (B, h, w)
        return (weights * cross_entropy).mean()

    def training_step(self, batch: dict, batch_idx: int) -> Tensor | None:
        buffers = self.divergence.snapshot(self)
        L, ab, hints = self.split_batch(batch)
        loss = self.objective(self.generator(self.net_input(L, hints)), ab)
        self.log("train/loss", loss, prog_bar=True)
        if not self.divergence.finite("train/loss", loss, self):
            self.divergence.restore(self, buffers)
            return None
        return loss

    def on_train_start(self) -> None:
        if not self.has_prior:  # fit without training.ab_prior.ABPriorPass: the rebalancing weights would be NaN
            raise ConfigError(
                "zhang16 has no ab prior: pass model.prior_file=/path/prior_probs.npy, or fit with the "
                "colorgan.training.ab_prior.ABPriorPass callback (python -m colorgan.train adds it)"
            )

    def configure_optimizers(self):
        optimizer = self.optimizer(params=trainable(self.generator))
        if self.scheduler is None:
            return optimizer
        # the paper drops the rate at iteration counts, so the schedule is stepped every step
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": self.scheduler(optimizer=optimizer), "interval": "step"},
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """The stored config names the bins themselves and no files: the checkpoint alone rebuilds the model."""
        super().on_save_checkpoint(checkpoint)
        if checkpoint.get(MODEL_CONFIG_KEY) is not None:
            stored = checkpoint[MODEL_CONFIG_KEY]
            checkpoint[MODEL_CONFIG_KEY] = {**stored, "bins": self.bins.tolist(), "bins_file": None}
