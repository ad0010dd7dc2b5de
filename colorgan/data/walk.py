"""Finding the image (or video) files below a folder: the one walk every data source, the index and colorize use."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from colorgan.data.images import IMAGE_EXTENSIONS
from colorgan.data.scan import PROGRESS_EVERY_S

log = logging.getLogger(__name__)


def list_images(root: Path, extensions: frozenset[str] = IMAGE_EXTENSIONS) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(relative paths, sizes, mtimes)`` of the image files (``extensions``) below ``root``, sorted by path.

    Symlinked folders are followed, each real folder once: every folder reachable without a link is
    listed first, then the linked ones (in name order), so a folder keeps its own path when it is also
    linked to, and a link loop (to the root, to a parent) ends there. Progress is logged every few
    seconds: listing a network file system can take minutes for millions of files.
    """
    entries, real, linked, seen = [], [("", str(root))], [], set()
    start = last = time.monotonic()
    while real or linked:
        prefix, folder = real.pop() if real else linked.pop(0)
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.is_dir():  # follows a link; a dangling one is not a folder
                        (linked if entry.is_symlink() else real).append((f"{prefix}{entry.name}/", entry.path))
                    elif os.path.splitext(entry.name)[1].lower() in extensions and entry.is_file():
                        st = entry.stat()
                        entries.append((f"{prefix}{entry.name}", st.st_size, st.st_mtime_ns))
            linked.sort()
        except OSError as err:
            log.warning("data index: cannot list %s (%s): its files are left out", folder, err)
        if time.monotonic() - last >= PROGRESS_EVERY_S:
            last = time.monotonic()
            log.info("data index: listing %s: %d image files so far (%.0f s)", root, len(entries), last - start)
    entries.sort()
    relpaths = [e[0] for e in entries]
    return relpaths, np.array([e[1] for e in entries], np.int64), np.array([e[2] for e in entries], np.int64)


def find_images(root: str | Path) -> list[Path]:
    """All image files below ``root`` (recursive through symlinked folders, by extension,
    case-insensitive), sorted; a missing folder or one without images is named."""
    return find_files(root, IMAGE_EXTENSIONS, "image")


def find_files(root: str | Path, extensions: frozenset[str], kind: str) -> list[Path]:
    """All files below ``root`` whose extension (case-insensitive) is one of ``extensions``, sorted;
    ``kind`` names them in the error for a missing folder or one without such files."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{kind} folder does not exist or is not a folder: {root}")
    relpaths = list_images(root, extensions)[0]
    if not relpaths:
        raise FileNotFoundError(f"no {kind} files ({', '.join(sorted(extensions))}) found below {root}")
    return [root / rel for rel in relpaths]
