"""Image-grid logging: gray | prediction | truth, to a PNG in the run directory and to the loggers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl
import torch
from PIL import Image
from pytorch_lightning.callbacks import Timer
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


class FinalValidation(pl.Callback):
    """Every run ends measured: when training is about to stop (``max_steps``, ``max_time``, the last
    epoch, an early stop) and the last validation is older than the final weights, one more validation
    runs on them, inside ``fit``, so the best checkpoint, ``last.ckpt``, the samples grid and the
    returned metric all exist (a sweep point stopped by a short budget is still scored).

    Lightning validates when a stop is requested, but only in epochs that ``check_val_every_n_epoch``
    selects; this callback requests the stop itself and lifts that filter for the final step.
    """

    def __init__(self):
        self._validated_at = -1

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._validated_at = trainer.global_step

    def _stopping(self, trainer: pl.Trainer) -> bool:
        if trainer.should_stop or 0 <= trainer.max_steps <= trainer.global_step:
            return True
        last_epoch = trainer.max_epochs is not None and trainer.current_epoch + 1 >= trainer.max_epochs > 0
        if last_epoch and trainer.fit_loop.epoch_loop.batch_progress.is_last_batch:
            return True
        timer = next((c for c in trainer.callbacks if isinstance(c, Timer)), None)
        if timer is None or timer.time_remaining() is None:
            return False
        return trainer.strategy.broadcast(timer.time_remaining() <= 0)  # rank 0's clock, as Timer itself does

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if not trainer.enable_validation or trainer.fast_dev_run or self._validated_at == trainer.global_step:
            return
        if self._stopping(trainer):
            trainer.should_stop = True  # Lightning validates on a requested stop...
            trainer.check_val_every_n_epoch = None  # ...in any epoch; the run ends here, nothing else reads it
            log.info("training stops at step %d: validating the final weights", trainer.global_step)
