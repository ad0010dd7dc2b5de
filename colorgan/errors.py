"""The errors a user can cause, one type per kind of mistake, all under ``ColorganError``.

Every layer raises these and imports nothing else from here; the commands turn them into one line
naming the culprit (``cli.run_task``). Nothing in this module imports colorgan.
"""

from __future__ import annotations

from pathlib import Path


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
