"""Loggers that keep a run's records: a CSV that a resumed run appends to, and Weights & Biases
that never needs an account (online with credentials, offline without)."""

from __future__ import annotations

import csv
import logging
import netrc
import os
from pathlib import Path
from urllib.parse import urlparse

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from pytorch_lightning.loggers import CSVLogger, WandbLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter
from pytorch_lightning.loggers.logger import rank_zero_experiment

log = logging.getLogger(__name__)


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


def wandb_logger(save_dir: str, offline: bool | None = None, **kwargs) -> WandbLogger:
    """A ``WandbLogger``; ``offline=None`` picks offline when no credentials are found.

    ``WANDB_MODE`` (offline / disabled / online) set in the environment always wins. In a multirun,
    ``group`` and ``name`` left at None become the sweep and the job's overrides.
    """
    for key, value in sweep_identity().items():
        if kwargs.get(key) is None:
            kwargs[key] = value
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
    return WandbLogger(save_dir=save_dir, offline=offline, **kwargs)
