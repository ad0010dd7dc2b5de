"""What makes a run resumable: atomic checkpoint files, a frequent ``last.ckpt``, finding it again.

A run killed at any moment (SIGKILL, node failure, preemption) restarts from ``last.ckpt``, which
is never half-written and at most ``every_n_train_steps`` steps or ``every_n_minutes`` old.
``ckpt_path=last`` finds the newest of it and Lightning's SLURM checkpoints in the run directory.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Checkpoint
from pytorch_lightning.plugins.io import TorchCheckpointIO
from pytorch_lightning.utilities.exceptions import SIGTERMException

from colorgan.errors import ConfigError
from colorgan.models.base import MODEL_CONFIG_KEY
from colorgan.training.checkpoint import read_checkpoint

log = logging.getLogger(__name__)

LAST = "last.ckpt"


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes a local checkpoint to a temporary file beside it, then renames it into place.

    A rename within a directory is atomic, so the path holds either the previous checkpoint or
    the new one, whenever the process dies. (Lightning's own writer stages the file in the
    system's temp directory and moves it, which is a plain copy when that is another disk.)
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options: Any | None = None) -> None:
        if "://" in str(path):  # object stores: Lightning's writer uploads in one piece
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            with open(partial, "wb") as f:
                torch.save(checkpoint, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (a power loss could otherwise undo it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LastCheckpoint(Checkpoint):
    """Keeps ``dirpath/last.ckpt`` current: every ``every_n_train_steps`` steps, every
    ``every_n_minutes`` of training, after each validation and epoch, at the end, and on SIGTERM
    or Ctrl-C.

    It is not written when training stops for any other error (e.g. divergence), so it stays
    the last good state.
    """

    def __init__(self, dirpath: str, every_n_train_steps: int | None = None, every_n_minutes: float | None = None):
        self.dirpath = Path(dirpath)
        self.every_n_train_steps = every_n_train_steps or 0
        self.every_n_minutes = every_n_minutes or 0.0
        self._saved_at_step = -1
        self._saved_at_time = time.monotonic()

    @property
    def path(self) -> Path:
        return self.dirpath / LAST

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if trainer.is_global_zero and self.dirpath.is_dir():
            for stale in self.dirpath.glob(".*.partial"):  # left by a process killed while writing
                stale.unlink(missing_ok=True)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._saved_at_time = time.monotonic()
        self._saved_at_step = trainer.global_step

    def _save(self, trainer: pl.Trainer) -> None:
        trainer.save_checkpoint(self.path, weights_only=False)  # the full state: optimizers, loops, data position
        self._saved_at_step = trainer.global_step
        self._saved_at_time = time.monotonic()
        log.debug("saved %s at step %d", self.path, trainer.global_step)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        step = trainer.global_step
        if step == self._saved_at_step or trainer.fast_dev_run:
            return
        due = self.every_n_train_steps > 0 and step % self.every_n_train_steps == 0
        if self.every_n_minutes > 0:
            late = time.monotonic() - self._saved_at_time >= 60 * self.every_n_minutes
            due = due or trainer.strategy.broadcast(late)  # rank 0's clock decides: every rank must save
        if due:
            self._save(trainer)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking and not trainer.fast_dev_run and trainer.state.fn == "fit":
            self._save(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.global_step != self._saved_at_step and not trainer.fast_dev_run:
            self._save(trainer)  # no validation ran at the end of this epoch

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.global_step != self._saved_at_step and not trainer.fast_dev_run:
            self._save(trainer)  # stopped by max_steps or max_time between validations

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        # SIGTERM reaches every rank at the same step (Lightning broadcasts it); Ctrl-C may not.
        graceful = isinstance(exception, SIGTERMException) or (
            isinstance(exception, KeyboardInterrupt) and trainer.world_size == 1
        )
        # Nothing trained since the last save (e.g. SIGTERM seen as an epoch ends): keep that save.
        # Lightning would resume a checkpoint taken after its epoch-end bookkeeping one epoch too far.
        if (
            graceful
            and trainer.global_step != self._saved_at_step
            and trainer.state.fn == "fit"
            and not trainer.fast_dev_run
        ):
            self._save(trainer)
            log.info("interrupted (%s): saved %s at step %d", type(exception).__name__, self.path, trainer.global_step)


def find_resume_checkpoint(ckpt_path: str | None, run_dir: str | Path) -> str | None:
    """``ckpt_path`` as a file to resume from. ``last``: the furthest trained of ``run_dir/checkpoints/last.ckpt``
    and Lightning's SLURM ``run_dir/hpc_ckpt_*.ckpt`` (``last.ckpt`` on a tie: it is written at clean points,
    an hpc checkpoint whenever the signal comes), or None (a fresh start) when there is none."""
    if ckpt_path is None:
        return None
    if str(ckpt_path) != "last":
        if not Path(ckpt_path).expanduser().is_file():
            raise FileNotFoundError(f"ckpt_path: checkpoint not found: {ckpt_path}")
        return str(Path(ckpt_path).expanduser())
    run_dir = Path(run_dir)
    candidates = [p for p in [run_dir / "checkpoints" / LAST, *run_dir.glob("hpc_ckpt_*.ckpt")] if p.is_file()]
    if not candidates:
        log.info("ckpt_path=last: no checkpoint in %s yet, starting from scratch", run_dir)
        return None
    newest = max(candidates, key=lambda p: (_global_step(p), p.name == LAST, p.stat().st_mtime))
    log.info("resuming from %s", newest)
    return str(newest)


def _global_step(path: Path) -> int:
    """The step a checkpoint was saved at, read through a memory map (no full read); -1 if unreadable."""
    try:
        return int(torch.load(path, map_location="cpu", mmap=True, weights_only=True).get("global_step", -1))
    except Exception as err:  # noqa: BLE001 - a damaged candidate is passed over, not fatal
        log.warning("ckpt_path=last: passing over %s, which cannot be read (%s)", path, err)
        return -1


def check_resumable(path: str, model: pl.LightningModule, model_config: dict) -> None:
    """Refuse, naming both, a checkpoint whose model is not the one this command builds."""
    ckpt = read_checkpoint(path)
    theirs, ours = ckpt[MODEL_CONFIG_KEY] or {}, model_config
    names = [(c.get("_target_"), (c.get("generator") or {}).get("_target_")) for c in (theirs, ours)]
    if names[0] != names[1]:
        raise ConfigError(
            f"{path} holds a {_describe(*names[0])} but this command builds a {_describe(*names[1])}: "
            "resume with the model settings it was trained with, or start a new run directory"
        )
    state = model.state_dict()
    mismatched = [
        k for k, v in ckpt["state_dict"].items() if k in state and tuple(v.shape) != tuple(state[k].shape)
    ] + sorted(set(state) ^ set(ckpt["state_dict"]))
    if mismatched:
        raise ConfigError(
            f"{path}: its weights do not fit the model this command builds ({len(mismatched)} tensors differ, "
            f"e.g. {', '.join(mismatched[:3])}): resume with the model settings it was trained with"
        )


def _describe(module: str | None, generator: str | None) -> str:
    """``colorgan.models.gan_module.GANColorizer``, ... -> "GANColorizer with a ResNetUNet generator"."""
    return f"{str(module).rsplit('.', 1)[-1]} with a {str(generator).rsplit('.', 1)[-1]} generator"
