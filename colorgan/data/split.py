"""Deterministic train/val split of a file list that stays put when files are added."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path


def _unit_hash(key: str) -> float:
    digest = hashlib.sha1(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_files(files: Sequence[Path], root: Path, val_fraction: float, seed: int = 0) -> tuple[list[Path], list[Path]]:
    """Assign each file to val when the hash of (seed, its path relative to root) < val_fraction.

    A file keeps its side when others are added or removed, so a growing collection never leaks
    old validation photos into training. With two or more files and ``0 < val_fraction < 1``, both
    sides get at least one file.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"data.val_fraction must be in [0, 1), got {val_fraction}")
    scored = sorted((_unit_hash(f"{seed}:{Path(f).relative_to(root).as_posix()}"), Path(f)) for f in files)
    val = [f for h, f in scored if h < val_fraction]
    train = [f for h, f in scored if h >= val_fraction]
    if val_fraction > 0 and len(scored) >= 2:
        if not val:
            val, train = [train[0]], train[1:]
        elif not train:
            train, val = [val[-1]], val[:-1]
    return sorted(train), sorted(val)
