"""Regression colorizers (the MSE CNN and fusion baselines): one loss on ab, automatic optimization."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from colorgan.models.base import ColorizationModule, trainable
from colorgan.models.gan_module import OptimizerFactory, SchedulerFactory

REGRESSION_LOSSES = {"mse": F.mse_loss, "l1": F.l1_loss}


class RegressionColorizer(ColorizationModule):
    """Minimizes ``loss`` ("mse" as Wallner and Koalarization did, or "l1") between ab_hat and ab."""

    def __init__(
        self,
        generator: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory = None,
        loss: str = "mse",
        **common,
    ):
        super().__init__(generator, **common)  # ab_scale, channels_last, inference_norm...: ColorizationModule
        if loss not in REGRESSION_LOSSES:
            raise ValueError(f"model.loss must be one of {', '.join(REGRESSION_LOSSES)}; got {loss!r}")
        self.loss_fn = REGRESSION_LOSSES[loss]
        self.optimizer, self.scheduler = optimizer, scheduler

    def training_step(self, batch: dict, batch_idx: int) -> Tensor | None:
        buffers = self.divergence.snapshot(self)
        L, ab, hints = self.split_batch(batch)
        loss = self.loss_fn(self(L, hints).float(), ab)
        self.log("train/loss", loss, prog_bar=True)
        if not self.divergence.finite("train/loss", loss, self):
            self.divergence.restore(self, buffers)
            return None  # Lightning skips the backward pass and the optimizer step
        return loss

    def configure_optimizers(self):
        optimizer = self.optimizer(params=trainable(self.generator))
        if self.scheduler is None:
            return optimizer
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": self.scheduler(optimizer=optimizer), "interval": "epoch"},
        }
