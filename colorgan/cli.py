"""What the Hydra commands share: required settings checked first, a user's mistake as one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from omegaconf import DictConfig, OmegaConf

from colorgan.errors import ColorganError

T = TypeVar("T")


def config_dir() -> str:
    """The Hydra config folder: ``conf/`` beside the package (a checkout, ``pip install -e .``), or the
    copy a wheel installs as ``colorgan/conf``. An absolute path, so the ``colorgan-*`` commands and
    ``python -m colorgan.X`` find the same configs from any directory."""
    package = Path(__file__).resolve().parent
    packaged = package / "conf"
    return str(packaged if (packaged / "train.yaml").is_file() else package.parent / "conf")


def user_errors() -> tuple[type[Exception], ...]:
    """The errors whose message names the culprit (and, for a diverged run, what was kept and what to try)."""
    return (ColorganError, FileNotFoundError)


def run_task(task: Callable[[DictConfig], T], cfg: DictConfig) -> T:
    """``task(cfg)``; a missing setting (e.g. data=folder without data.root) or a user error exits
    with one line naming the culprit instead of a traceback."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise SystemExit(f"error: missing required setting(s): {', '.join(missing)} (add {missing[0]}=...)")
    try:
        return task(cfg)
    except user_errors() as err:
        raise SystemExit(f"error: {err}") from err
