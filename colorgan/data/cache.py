"""Where colorgan keeps what it measures once per machine or dataset: the precision probe's results
and the dataset index. Deleting the folder is always safe: its contents are rebuilt on demand.

``$COLORGAN_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/colorgan``, else ``~/.cache/colorgan``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def user_cache_dir() -> Path:
    """The folder colorgan's caches live in (not created here)."""
    explicit = os.environ.get("COLORGAN_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "colorgan"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place, so that a reader
    (another run, another DDP rank) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as f:
            f.write(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def read_cache_entry(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing or unreadable (a cache is never fatal)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_cache_entry(path: Path, value: Any) -> None:
    """Store ``value`` as JSON at ``path``, atomically (a concurrent reader sees the old entry or the new)."""
    atomic_write_bytes(path, json.dumps(value, indent=1, sort_keys=True).encode())
