"""What the Hydra commands share: required settings checked first, a user's mistake as one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from omegaconf import DictConfig, OmegaConf

from colorgan.errors import ColorganError, MissingExtra, import_extra

T = TypeVar("T")
# Config choices that only a Hydra plugin of the sweeps extra provides: (group, choice prefix) -> its module
SWEEP_PLUGINS = {
    ("hparams_search", "optuna"): "hydra_plugins.hydra_optuna_sweeper",
    ("hydra/sweeper", "optuna"): "hydra_plugins.hydra_optuna_sweeper",
    ("hydra/launcher", "slurm"): "hydra_plugins.hydra_submitit_launcher",
    ("hydra/launcher", "submitit"): "hydra_plugins.hydra_submitit_launcher",
}


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
    except Exception as err:
        cause = user_error_in(err)
        if cause is None:
            raise
        raise SystemExit(f"error: {cause}") from err


def user_error_in(err: BaseException) -> BaseException | None:
    """``err`` or the first error it was raised from that is a user's mistake (Hydra's instantiate wraps
    what a config's ``_target_`` raises, e.g. a data module asking for a missing extra), else None."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, user_errors()):
            return err
        seen.add(id(err))
        err = err.__cause__
    return None


def require_sweep_plugins(overrides: list[str]) -> None:
    """Exit with one line naming the sweeps extra when an override needs a Hydra plugin that is not installed
    (Hydra itself would report a config it cannot find, with its search path)."""
    for override in overrides:
        group, _, choice = override.lstrip("+~").partition("=")
        for (plugin_group, prefix), module in SWEEP_PLUGINS.items():
            if group == plugin_group and choice.startswith(prefix):
                try:
                    import_extra(module, "sweeps", override)
                except MissingExtra as err:
                    raise SystemExit(f"error: {err}") from err
