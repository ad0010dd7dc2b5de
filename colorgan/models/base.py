"""The LightningModule every colorizer shares: forward(L) -> ab, evaluation, prediction."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor, nn
from torchmetrics import MeanMetric

from colorgan import metrics
from colorgan.color import AB_SCALE, L_ab_to_rgb, rgb_to_L_ab

EVAL_METRICS = ("l1_ab", "psnr", "ssim", "colorfulness", "colorfulness_gt")


def trainable(module: nn.Module) -> list[nn.Parameter]:
    """Parameters an optimizer should own (a frozen classifier inside a net is left out)."""
    return [p for p in module.parameters() if p.requires_grad]


class ColorizationModule(pl.LightningModule):
    """Batches carry RGB uint8; the Lab conversion runs here, batched, on the module's device.

    ``model_config`` (the resolved Hydra model config, set by ``train``) is stored in every
    checkpoint so that the colorizer can be rebuilt from the checkpoint alone.
    """

    def __init__(self, generator: nn.Module, ab_scale: float = AB_SCALE):
        super().__init__()
        self.generator = generator
        self.ab_scale = ab_scale
        self.model_config: dict | None = None
        self.val_metrics = nn.ModuleDict({name: MeanMetric() for name in EVAL_METRICS})
        self.test_metrics = nn.ModuleDict({name: MeanMetric() for name in EVAL_METRICS})

    def forward(self, L: Tensor) -> Tensor:
        return self.generator(L)  # (B, 1, H, W) -> (B, 2, H, W)

    def split_batch(self, batch: dict) -> tuple[Tensor, Tensor]:
        """RGB uint8 ``(B, 3, H, W)`` -> normalized L ``(B, 1, H, W)`` and ab ``(B, 2, H, W)``."""
        return rgb_to_L_ab(batch["rgb"], self.ab_scale)

    def to_rgb(self, L: Tensor, ab: Tensor) -> Tensor:
        return L_ab_to_rgb(L, ab, self.ab_scale)

    def image_metrics(self, L: Tensor, ab_hat: Tensor, ab: Tensor) -> dict[str, Tensor]:
        """Per-image metrics of a prediction against the truth, on RGB rebuilt with the true L."""
        rgb_hat, rgb = self.to_rgb(L, ab_hat), self.to_rgb(L, ab)
        return {
            "l1_ab": metrics.l1_ab(ab_hat, ab, self.ab_scale),
            "psnr": metrics.psnr(rgb_hat, rgb),
            "ssim": metrics.ssim(rgb_hat, rgb),
            "colorfulness": metrics.colorfulness(rgb_hat),
            "colorfulness_gt": metrics.colorfulness(rgb),
        }

    def _evaluate(self, batch: dict, split: str, store: nn.ModuleDict) -> dict[str, Tensor]:
        L, ab = self.split_batch(batch)
        ab_hat = self(L)
        for name, values in self.image_metrics(L, ab_hat, ab).items():
            store[name].update(values)
            self.log(f"{split}/{name}", store[name], on_step=False, on_epoch=True, batch_size=L.shape[0])
        return {"L": L, "ab_hat": ab_hat.float(), "ab": ab}

    def validation_step(self, batch: dict, batch_idx: int) -> dict[str, Tensor]:
        return self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: dict, batch_idx: int) -> dict[str, Tensor]:
        return self._evaluate(batch, "test", self.test_metrics)

    def predict_step(self, batch: dict, batch_idx: int) -> Tensor:
        L, _ = self.split_batch(batch)
        return self.to_rgb(L, self(L))  # (B, 3, H, W) in [0, 1]

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["colorgan_model_config"] = self.model_config
