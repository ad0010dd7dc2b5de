"""The errors a user can cause, one type per kind of mistake, all under ``ColorganError``.

Every layer raises these and imports nothing else from here; the commands turn them into one line
naming the culprit (``cli.run_task``). ``import_extra`` imports a package of an optional feature (a
pyproject extra) and names the extra when it is missing. Nothing in this module imports colorgan.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType


class ColorganError(Exception):
    """A mistake in the user's settings, files or checkpoints; the message says which and what to do."""


class ConfigError(ColorganError, ValueError):
    """Settings that cannot work together; the message says which and what to do instead."""


class CheckpointError(ColorganError, ValueError):
    """A file that is not a loadable colorgan checkpoint; the message names the file and why."""


class DivergenceError(ColorganError, RuntimeError):
    """Training stopped because it diverged; ``last.ckpt`` still holds the last good state."""


class ImageRejected(ColorganError, ValueError):
    """An image colorgan will not decode; the message names the file and the reason."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.reason = reason


class VideoRejected(ColorganError, ValueError):
    """A video colorgan cannot decode or write (no video stream, no frames, a codec it lacks); names the file."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.reason = reason


class UploadError(ColorganError, ValueError):
    """An upload that cannot be used; the message names the file and says why."""


class HintError(ColorganError, ValueError):
    """Colour hints that cannot be used (a hints.json or strokes image); the message names the file and why."""


class MissingExtra(ColorganError, ImportError):
    """A feature whose optional dependencies (a pyproject extra) are not installed; the message names the extra."""


def import_extra(module: str, extra: str, feature: str) -> ModuleType:
    """``module``, imported; when it is not installed, a ``MissingExtra`` naming the extra that installs it.

    Only a missing ``module`` itself counts: a module that is installed but fails to import raises as it is.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name is None or module.split(".")[0] != err.name.split(".")[0]:
            raise
        raise MissingExtra(
            f"{feature} needs {module}, which is not installed: pip install 'colorgan[{extra}]' "
            f"(from a checkout: pip install -e '.[{extra}]')"
        ) from err
