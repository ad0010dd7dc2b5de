"""Image-grid logging: gray | prediction | truth, to a PNG in the run directory and to the loggers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl
import torch
from PIL import Image
from pytorch_lightning.loggers import TensorBoardLogger, WandbLogger
from torch import Tensor

from colorgan.color import gray_rgb
from colorgan.evaluation.grids import image_grid

log = logging.getLogger(__name__)


class ImageGridLogger(pl.Callback):
    """After every validation, on rank 0: ``dirpath/epoch{E}-step{S}.png`` and a logged image.

    The grid holds the first ``max_images`` validation images of rank 0's shard; images go to
    W&B and TensorBoard as uint8 (W&B writes float tensors as black images).
    """

    def __init__(self, dirpath: str, max_images: int = 8):
        self.dirpath = Path(dirpath)
        self.max_images = max_images
        self._columns: list[tuple[Tensor, Tensor, Tensor]] = []

    def _active(self, trainer: pl.Trainer) -> bool:
        return trainer.is_global_zero and not trainer.sanity_checking

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._columns = []

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        have = sum(c[0].shape[0] for c in self._columns)
        if not self._active(trainer) or have >= self.max_images or not outputs:
            return
        take = self.max_images - have
        L, ab_hat, ab = (outputs[k][:take] for k in ("L", "ab_hat", "ab"))
        self._columns.append((gray_rgb(L).cpu(), pl_module.to_rgb(L, ab_hat).cpu(), pl_module.to_rgb(L, ab).cpu()))

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._active(trainer) or not self._columns:
            return
        columns = [torch.cat([c[i] for c in self._columns]) for i in range(3)]
        grid = image_grid(columns)
        self.dirpath.mkdir(parents=True, exist_ok=True)
        path = self.dirpath / f"epoch{trainer.current_epoch:04d}-step{trainer.global_step:07d}.png"
        Image.fromarray(grid).save(path)
        log.info("samples grid (gray | prediction | truth): %s", path)
        for logger in trainer.loggers:
            try:
                if isinstance(logger, WandbLogger):
                    caption = ["gray | prediction | truth"]
                    logger.log_image("val/samples", [grid], step=trainer.global_step, caption=caption)
                elif isinstance(logger, TensorBoardLogger):
                    logger.experiment.add_image("val/samples", grid, trainer.global_step, dataformats="HWC")
            except Exception as err:  # noqa: BLE001 - a tracker's failure must not stop training; the PNG is saved
                log.warning("could not log the samples grid to %s: %s", type(logger).__name__, err)
        self._columns = []
