"""Checking every image of a dataset once, at indexing, so that no broken file stops a run later.

Each file is opened and decoded (JPEGs at reduced scale: the whole file is still read, so a
truncated one is caught). Skipped: empty, unreadable or unsupported files, truncated or corrupt
ones, images above ``max_pixels`` (decompression bombs), images below ``min_side``, and, with
``exclude_grayscale``, photos without colour, which would teach a colorizer to desaturate.
"""

from __future__ import annotations

import csv
import logging
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from colorgan.data.images import DRAFT_FORMATS, MAX_PIXELS, open_image, to_rgb
from colorgan.errors import ImageRejected

log = logging.getLogger(__name__)

_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_GRAY_CHROMA = 12  # max - min of R, G, B (0-255): JPEG noise on a gray photo stays below this
_GRAY_SHARE = 0.01  # gray: fewer than 1% of the pixels more colourful than that
REPORT_NAME = "skipped_images.tsv"
PROGRESS_EVERY_S = 5.0


def is_gray(img: Image.Image) -> bool:
    """A photo without colour: a gray mode, or fewer than 1% of the pixels (on a 256 px thumbnail)
    more colourful than JPEG noise. ``img`` is left as it is."""
    if img.mode in _GRAY_MODES:
        return True
    small = to_rgb(img)
    small = small.reduce(max(1, max(small.size) // 512))  # a new image: thumbnail() works in place
    small.thumbnail((256, 256))
    rgb = np.asarray(small, dtype=np.int16)
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    return float((chroma > _GRAY_CHROMA).mean()) < _GRAY_SHARE


def gray_images(rgb: Tensor) -> Tensor:
    """``(B,)`` True for each image of an RGB uint8 batch ``(B, 3, H, W)`` without colour, by ``is_gray``'s rule
    (fewer than 1% of the pixels more colourful than JPEG noise)."""
    chroma = rgb.amax(dim=1).to(torch.int16) - rgb.amin(dim=1).to(torch.int16)  # (B, H, W)
    return (chroma > _GRAY_CHROMA).float().mean(dim=(1, 2)) < _GRAY_SHARE


def problem(
    path: Path, max_pixels: int = MAX_PIXELS, min_side: int = 32, exclude_grayscale: bool = True, decode: bool = True
) -> str | None:
    """Why ``path`` cannot be used for training, or None when it can. ``decode=False`` reads only
    the header (0.2 instead of 22 ms for a 12 MP JPEG), and misses truncated files and gray photos
    stored as RGB."""
    try:
        if path.stat().st_size == 0:
            return "empty file"
        with open_image(path, max_pixels) as img:
            if min(img.size) < min_side:
                return f"too small: {img.size[0]}x{img.size[1]} (data.min_image_side={min_side})"
            if exclude_grayscale and img.mode in _GRAY_MODES:
                return "grayscale: no colour to learn from"
            if not decode:
                return None
            if img.format in DRAFT_FORMATS:
                img.draft("RGB", (max(1, img.size[0] // 8), max(1, img.size[1] // 8)))
            img.load()
            if exclude_grayscale and is_gray(img):
                return "grayscale: no colour to learn from"
    except ImageRejected as err:
        return f"too large: {err.reason}"
    except Image.DecompressionBombError as err:
        return f"too large: {err}"
    except UnidentifiedImageError:
        return "not an image Pillow can read (unsupported or not an image)"
    except (OSError, SyntaxError, ValueError) as err:
        return f"truncated or corrupt: {err}"
    return None


@dataclass
class ScanResult:
    usable: list[Path]
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        kinds = Counter(reason.split(":")[0] for _, reason in self.skipped)
        names = ", ".join(p.name for p, _ in self.skipped[:3]) + (", ..." if len(self.skipped) > 3 else "")
        counts = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
        return f"{len(self.skipped)} of {len(self.usable) + len(self.skipped)} files skipped ({counts}): {names}"


def scan_images(files: Sequence[Path], workers: int = 0, what: str = "data check", **limits) -> ScanResult:
    """Check ``files`` (in ``workers`` processes when there are many), logging progress every
    ``PROGRESS_EVERY_S`` seconds on long scans; ``limits`` go to ``problem``."""
    check = partial(problem, **limits)
    progress = _Progress(what, len(files))
    if workers > 1 and len(files) > 256:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            reasons = [progress.tick(r) for r in pool.map(check, files, chunksize=64)]
    else:
        reasons = [progress.tick(check(f)) for f in files]
    progress.done()
    result = ScanResult([f for f, r in zip(files, reasons) if r is None])
    result.skipped = [(f, r) for f, r in zip(files, reasons) if r is not None]
    return result


class _Progress:
    """One log line every ``PROGRESS_EVERY_S`` seconds: files checked, rate, time left."""

    def __init__(self, what: str, total: int):
        self.what, self.total, self.n = what, total, 0
        self.start = self.last = time.monotonic()

    def tick(self, value):
        self.n += 1
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            rate, share = self.n / (now - self.start), self.n / self.total
            left = (self.total - self.n) / rate
            log.info("%s: %d of %d files checked (%.0f%%, %.0f/s, about %.0f s left)",
                     self.what, self.n, self.total, 100 * share, rate, left)  # fmt: skip
        return value

    def done(self) -> None:
        if self.last != self.start:  # it was long enough to report progress: report the end too
            log.info("%s: %d files checked in %.0f s", self.what, self.n, time.monotonic() - self.start)


def write_skipped_list(skipped: list[tuple[Path, str]], report_dir: str | Path | None) -> Path | None:
    """The full list of skipped files, one ``path<TAB>reason`` per line; None when nothing to write."""
    if not skipped or report_dir is None:
        return None
    path = Path(report_dir) / REPORT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, delimiter="\t")
        writer.writerow(["path", "reason"])
        writer.writerows((str(p), reason) for p, reason in skipped)
    return path
