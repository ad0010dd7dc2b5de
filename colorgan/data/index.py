"""The dataset index: every image file below a folder and the data check's verdict on it, built once.

Checking a photo (``scan.problem``) decodes it at reduced scale: ~22 ms for a 12 MP JPEG, about 20
CPU-minutes for ImageNet. The verdicts are cached, keyed by the folder and the check's settings, and
each entry by the file's relative path, size and mtime: a new run, a resume or an evaluate on the
same folder lists the folder (one ``stat`` a file) and re-checks only files that are new or changed.

Cache: ``data.index_cache`` (a folder; ``auto``: ``<user cache>/index``; null: none), one ``.npz`` per
(folder, settings). Under DDP rank 0 builds it; other ranks load rank 0's file instead of scanning.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from colorgan.data.cache import atomic_write_bytes, user_cache_dir
from colorgan.data.file_table import FileTable
from colorgan.data.images import IMAGE_EXTENSIONS
from colorgan.data.scan import scan_images
from colorgan.data.walk import list_images

log = logging.getLogger(__name__)

INDEX_VERSION = 1
USER_CACHE = "auto"  # data.index_cache=auto: the index lives in the user's cache folder


@dataclass
class DatasetIndex:
    """Every image file found below ``files.root`` (sorted by relative path) and its verdict."""

    files: FileTable
    size: np.ndarray  # int64 bytes
    mtime_ns: np.ndarray  # int64
    status: np.ndarray  # int32: 0 usable, k > 0 skipped for reasons[k - 1]
    reasons: list[str]
    checked: int = 0  # files checked by this call (new or changed)
    seconds: float = 0.0  # time this call took: listing, checking, saving

    @property
    def usable(self) -> FileTable:
        return self.files.select(np.flatnonzero(self.status == 0))

    @property
    def skipped(self) -> list[tuple[Path, str]]:
        return [(self.files[i], self.reasons[self.status[i] - 1]) for i in np.flatnonzero(self.status).tolist()]


def index_path(root: Path, limits: dict, cache: str | Path | None) -> Path | None:
    """Where the index of ``root`` checked with ``limits`` is cached; None with no cache."""
    if cache is None:
        return None
    folder = user_cache_dir() / "index" if str(cache) == USER_CACHE else Path(cache).expanduser()
    key = hashlib.sha1(f"{INDEX_VERSION}|{root}|{json.dumps(limits, sort_keys=True)}".encode()).hexdigest()[:16]
    return folder / f"{root.name or 'root'}-{key}.npz"


def load_index(path: Path, root: Path) -> DatasetIndex | None:
    """The cached index at ``path``, or None when it is missing, unreadable or of another version."""
    try:
        with np.load(path) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("version") != INDEX_VERSION:
                return None
            files = FileTable(root, z["blob"], z["offsets"])
            return DatasetIndex(files, z["size"], z["mtime_ns"], z["status"], meta["reasons"])
    except (OSError, ValueError, KeyError) as err:
        if path.exists():
            log.warning("data index: ignoring unreadable %s (%s): building it again", path, err)
        return None


def save_index(index: DatasetIndex, path: Path) -> None:
    """Write ``index`` atomically (another run or rank reads the old file or the new one)."""
    meta = {"version": INDEX_VERSION, "root": str(index.files.root), "reasons": index.reasons, "saved": time.time()}
    buffer = io.BytesIO()
    np.savez(buffer, blob=index.files.blob, offsets=index.files.offsets, size=index.size,
             mtime_ns=index.mtime_ns, status=index.status, meta=np.array(json.dumps(meta)))  # fmt: skip
    atomic_write_bytes(path, buffer.getvalue())


def _reuse(old: DatasetIndex | None, relpaths: list[str], size: np.ndarray, mtime: np.ndarray) -> np.ndarray:
    """For each listed file, the row of its verdict in ``old`` when path, size and mtime all match; else -1."""
    found = np.full(len(relpaths), -1, np.int64)
    if old is None or len(old.files) == 0:
        return found
    row = {p: i for i, p in enumerate(old.files.relpaths())}
    candidates = np.array([row.get(p, -1) for p in relpaths], np.int64)
    known = candidates >= 0
    rows = candidates[known]
    same = (old.size[rows] == size[known]) & (old.mtime_ns[rows] == mtime[known])
    found[np.flatnonzero(known)[same]] = rows[same]
    return found


def build_index(root: Path, limits: dict, workers: int = 0, cache: str | Path | None = USER_CACHE) -> DatasetIndex:
    """List ``root``, reuse the cached verdicts of unchanged files, check the others, save, return."""
    if not root.is_dir():
        raise FileNotFoundError(f"image folder does not exist or is not a folder: {root}")
    start = time.monotonic()
    path = index_path(root, limits, cache)
    old = load_index(path, root) if path is not None else None
    relpaths, size, mtime = list_images(root)
    if not relpaths:
        exts = ", ".join(sorted(IMAGE_EXTENSIONS))
        raise FileNotFoundError(f"no image files ({exts}) found below {root}")
    found = _reuse(old, relpaths, size, mtime)
    reasons = list(old.reasons) if old is not None else []
    status = np.zeros(len(relpaths), np.int32)
    if old is not None:
        status[found >= 0] = old.status[found[found >= 0]]
    todo = np.flatnonzero(found < 0).tolist()
    log.info("data index: %d image files below %s, %d to check (%s)", len(relpaths), root, len(todo),
             f"cache {path}" if path is not None else "no cache: data.index_cache=null")  # fmt: skip
    files = FileTable.from_relpaths(root, relpaths)
    if todo:
        result = scan_images([files[i] for i in todo], workers, what="data index", **limits)
        code = {reason: k + 1 for k, reason in enumerate(reasons)}
        rows = {files[i]: i for i in todo}
        for skipped, reason in result.skipped:
            if reason not in code:
                reasons.append(reason)
                code[reason] = len(reasons)
            status[rows[skipped]] = code[reason]
    index = DatasetIndex(files, size, mtime, status, reasons, checked=len(todo))
    if path is not None:
        save_index(index, path)  # also when nothing changed: its time tells other ranks it is current
    index.seconds = time.monotonic() - start
    log.info("data index: %d usable, %d skipped, %d checked now, in %.1f s", len(relpaths) - int((status > 0).sum()),
             int((status > 0).sum()), len(todo), index.seconds)  # fmt: skip
    return index


def wait_for_index(root: Path, limits: dict, cache: str | Path | None, timeout_s: float = 1800) -> DatasetIndex:
    """For DDP ranks other than 0: the index rank 0 saved (within the last few minutes), waited for."""
    path = index_path(root, limits, cache)
    begun = time.time()
    while True:
        index = load_index(path, root) if path is not None and path.exists() else None
        if index is not None and _saved(path) >= begun - 300:
            return index
        if time.time() - begun > timeout_s:
            raise TimeoutError(
                f"data index: rank 0's index of {root} did not appear at {path} within {timeout_s:.0f} s: "
                "set data.index_cache to a folder every node can read"
            )
        time.sleep(1.0)


def _saved(path: Path) -> float:
    with np.load(path) as z:
        return float(json.loads(str(z["meta"])).get("saved", 0.0))
