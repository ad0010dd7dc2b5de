"""What picks the best checkpoint and what a sweep optimizes: a metric an all-gray output cannot win.

``selection_metric: auto`` is FID on the val split when the Inception weights load and the split is large
enough for FID to mean something (``selection_fid_min_images``), and otherwise ``val/de00_cf`` (mean
CIEDE2000 plus half the per-image colourfulness gap: see ``colorgan.metrics.CF_WEIGHT``).
Plain ab errors (``val/l1_ab``) are not used: the desaturated average colour minimises them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytorch_lightning as pl
from torchmetrics import Metric

from colorgan.errors import ConfigError
from colorgan.evaluation.perceptual import perceptual_metrics

log = logging.getLogger(__name__)

FID_KEY = "val/fid"
FALLBACK_KEY = "val/de00_cf"


def resolve_selection(choice: str, n_val: int, fid_weights: str | None, min_fid_images: int) -> tuple[str, str]:
    """``(metric key, why)`` for ``selection_metric=choice``; ``auto`` decides between FID and de00_cf."""
    if choice != "auto":
        return choice, "set by selection_metric"
    if n_val < min_fid_images:
        why = f"FID needs at least {min_fid_images} val images (selection_fid_min_images), the split has {n_val}"
        return FALLBACK_KEY, why
    available, skipped = perceptual_metrics(fid=True, fid_weights=fid_weights, lpips=False)
    if "fid" in available:
        return FID_KEY, f"the Inception weights loaded and the val split has {n_val} images"
    return FALLBACK_KEY, f"FID {skipped.get('fid', 'unavailable')}"


def fid_factory(fid_weights: str | None) -> Callable[[], Metric]:
    """A constructor of the FID metric (RGB in [0, 1]), for ``ValidationFID``."""
    available, skipped = perceptual_metrics(fid=True, fid_weights=fid_weights, lpips=False)
    if "fid" not in available:
        raise ConfigError(f"selection_metric={FID_KEY} but FID cannot run: {skipped.get('fid')}")
    return available["fid"][0]


class ValidationFID(pl.Callback):
    """FID between the val photos and their colorizations after every validation, logged as ``val/fid``.

    The Inception network lives here, not in the LightningModule, so checkpoints do not carry it.
    torchmetrics gathers its feature statistics across DDP ranks.
    """

    def __init__(self, make_metric: Callable[[], Metric]):
        self.make_metric = make_metric
        self.metric: Metric | None = None

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.metric is None:
            self.metric = self.make_metric()
        self.metric = self.metric.to(pl_module.device)
        self.metric.reset()

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if trainer.sanity_checking or not outputs:
            return
        L, ab_hat, ab = outputs["L"], outputs["ab_hat"], outputs["ab"]
        self.metric.update(pl_module.to_rgb(L, ab), real=True)
        self.metric.update(pl_module.to_rgb(L, ab_hat), real=False)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        pl_module.log(FID_KEY, float(self.metric.compute()), on_epoch=True, sync_dist=False)
