"""Weights & Biases that never needs an account: online with credentials, offline without."""

from __future__ import annotations

import logging
import netrc
import os
from pathlib import Path
from urllib.parse import urlparse

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from pytorch_lightning.loggers import WandbLogger

log = logging.getLogger(__name__)


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
