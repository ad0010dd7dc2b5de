"""What the Hydra commands share: required settings checked first, a user's mistake as one line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from omegaconf import DictConfig, OmegaConf

from colorgan.models.divergence import DivergenceError
from colorgan.training.checkpoint import CheckpointError

T = TypeVar("T")


class ConfigError(ValueError):
    """Settings that cannot work together; the message says which and what to do instead."""


# the message names the culprit (and, for a diverged run, what was kept and what to try)
USER_ERRORS = (CheckpointError, FileNotFoundError, ConfigError, DivergenceError)


def run_task(task: Callable[[DictConfig], T], cfg: DictConfig) -> T:
    """``task(cfg)``; a missing setting (e.g. data=folder without data.root) or a user error exits
    with one line naming the culprit instead of a traceback."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise SystemExit(f"error: missing required setting(s): {', '.join(missing)} (add {missing[0]}=...)")
    try:
        return task(cfg)
    except USER_ERRORS as err:
        raise SystemExit(f"error: {err}") from err
