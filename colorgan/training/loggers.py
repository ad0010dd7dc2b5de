"""Loggers that keep a run's records: a CSV that a resumed run appends to, and Weights & Biases
that never needs an account (online with credentials, offline without)."""

from __future__ import annotations

import csv
import logging
import netrc
import os
from pathlib import Path
from urllib.parse import urlparse

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig
from pytorch_lightning.loggers import CSVLogger, Logger, TensorBoardLogger, WandbLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter
from pytorch_lightning.loggers.logger import rank_zero_experiment

from colorgan.errors import import_extra

log = logging.getLogger(__name__)


def build_loggers(logger_cfg: DictConfig | None) -> list[Logger]:
    """The loggers of a ``logger=`` config group (none for ``logger=none``)."""
    return [hydra.utils.instantiate(c) for c in (logger_cfg or {}).values() if c is not None]


class _AppendingWriter(ExperimentWriter):
    """Lightning's CSV writer deletes an existing metrics.csv; this one keeps its rows and header."""

    def _check_log_dir_exists(self) -> None:
        if self._fs.isfile(self.metrics_file_path):
            with self._fs.open(self.metrics_file_path, "r", newline="") as f:
                self.metrics_keys = next(csv.reader(f), [])


class ResumableCSVLogger(CSVLogger):
    """``metrics.csv`` that a resumed run (same run directory) continues instead of replacing.

    Steps logged after the last checkpoint of a killed run appear twice; the later rows are the
    resumed run's.
    """

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _AppendingWriter(log_dir=self.log_dir)
        return self._experiment


class ResilientWandbLogger(WandbLogger):
    """A ``WandbLogger`` whose failures never stop training.

    A run that cannot start online (server unreachable, bad key or entity) starts offline instead
    (``wandb sync`` uploads it later), and if that fails too, disabled. A call that fails mid-run
    (the W&B service died, the disk is full) is logged once per kind and dropped. The run's own
    files (checkpoints, samples, metrics.csv) never depend on W&B.
    """

    @property
    @rank_zero_experiment
    def experiment(self):
        if self._experiment is None:
            try:
                return WandbLogger.experiment.fget(self)
            except Exception as err:  # noqa: BLE001 - any W&B failure: wandb.errors.*, OSError, timeouts
                self._start_degraded(err)
        return self._experiment

    def _start_degraded(self, err: Exception) -> None:
        wandb = import_extra("wandb", "wandb", "logger=wandb")

        for mode in ("offline", "disabled"):
            log.warning("W&B: the run could not start (%s: %s); continuing with W&B %s", type(err).__name__, err, mode)
            try:
                self._experiment = wandb.init(**{**self._wandb_init, "mode": mode})
                return
            except Exception as next_err:  # noqa: BLE001
                err = next_err

    def _tolerate(self, what: str, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except Exception as err:  # noqa: BLE001
            failed = self.__dict__.setdefault("_failed", set())
            if what not in failed:
                failed.add(what)
                log.warning("W&B: %s failed (%s: %s); training goes on, later failures of it are not shown",
                            what, type(err).__name__, err)  # fmt: skip
            return None

    def log_metrics(self, metrics, step=None) -> None:
        self._tolerate("log_metrics", super().log_metrics, metrics, step)

    def log_hyperparams(self, params) -> None:
        self._tolerate("log_hyperparams", super().log_hyperparams, params)

    def log_image(self, key, images, step=None, **kwargs) -> None:
        self._tolerate("log_image", super().log_image, key, images, step, **kwargs)

    def after_save_checkpoint(self, checkpoint_callback) -> None:
        self._tolerate("after_save_checkpoint", super().after_save_checkpoint, checkpoint_callback)

    def finalize(self, status: str) -> None:
        self._tolerate("finalize", super().finalize, status)

    def finish(self) -> None:
        """Close the run (a multirun starts its next job in this process)."""
        if self._experiment is not None:
            self._tolerate("finish", self._experiment.finish)


def tensorboard_logger(**kwargs) -> TensorBoardLogger:
    """Lightning's ``TensorBoardLogger`` (``logger=tensorboard``), naming the extra when tensorboard is missing."""
    import_extra("tensorboard", "tensorboard", "logger=tensorboard")
    return TensorBoardLogger(**kwargs)


def wandb_credentials_found() -> bool:
    """True when W&B could log in: WANDB_API_KEY, or a netrc entry for the W&B host (`wandb login`)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname or "api.wandb.ai"
    path = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    try:
        return path.is_file() and netrc.netrc(path).authenticators(host) is not None
    except (netrc.NetrcParseError, OSError):
        return False


def sweep_identity() -> dict[str, str]:
    """In a Hydra multirun: the W&B group (the sweep) and run name (the job's overrides)."""
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return {}
    hc = HydraConfig.get()
    sweep = Path(hc.sweep.dir)
    return {"group": f"{sweep.parent.name}_{sweep.name}", "name": hc.job.override_dirname or f"job{hc.job.num}"}


def previous_run_id(save_dir: str | Path) -> str | None:
    """The id of the W&B run last started in ``save_dir`` (``wandb/latest-run`` -> ``*run-DATE-ID``)."""
    latest = Path(save_dir) / "wandb" / "latest-run"
    if not latest.exists():
        return None
    return latest.resolve().name.rsplit("-", 1)[-1] or None


def wandb_logger(save_dir: str, offline: bool | None = None, **kwargs) -> ResilientWandbLogger:
    """A ``ResilientWandbLogger``; ``offline=None`` picks offline when no credentials are found.

    ``WANDB_MODE`` (offline / disabled / online) set in the environment always wins. In a multirun,
    ``group`` and ``name`` left at None become the sweep and the job's overrides. A run directory that
    already holds a W&B run (a resumed run) continues that run's id rather than starting a new one.
    """
    import_extra("wandb", "wandb", "logger=wandb")
    for key, value in sweep_identity().items():
        if kwargs.get(key) is None:
            kwargs[key] = value
    previous = previous_run_id(save_dir)
    if previous and kwargs.get("id") is None:
        kwargs.update(id=previous, resume="allow")
        log.info("W&B: continuing run %s of this run directory", previous)
    mode = os.environ.get("WANDB_MODE", "").lower()
    if offline is None:
        offline = mode in ("offline", "dryrun") or (
            mode not in ("online", "disabled") and not wandb_credentials_found()
        )
    if offline:
        log.warning(
            "W&B: no credentials found (WANDB_API_KEY or `wandb login`), logging offline under %s/wandb. "
            "Upload later with: wandb sync %s/wandb/offline-run-*",
            save_dir,
            save_dir,
        )
    Path(save_dir).mkdir(parents=True, exist_ok=True)
    return ResilientWandbLogger(save_dir=save_dir, offline=offline, **kwargs)
