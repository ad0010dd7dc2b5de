"""A dataset of image files: each item is ``{"rgb": uint8 (3, S, S), "path": str}``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset

from colorgan.data.file_table import FileTable
from colorgan.data.images import MAX_PIXELS, DecodeThen
from colorgan.data.sampler import PADDING

log = logging.getLogger(__name__)
MAX_SUBSTITUTES = 16  # more unreadable files in a row than this: the data is gone, stop


class ImageFileDataset(Dataset):
    """Image files -> transformed RGB uint8 tensors.

    ``repeat`` visits every file that many times per epoch (with fresh random crops), so a
    handful of photos still makes epochs long enough to train and validate on. ``transform`` reads a file
    itself (``load``: the transforms of ``geometry.Geometry`` decode at the scale they need); a plain callable
    on decoded images is read through ``images.DecodeThen`` with ``min_side``.
    """

    def __init__(
        self,
        files: Sequence[str | Path],
        transform: Callable[[Image.Image], torch.Tensor],
        repeat: int = 1,
        min_side: int | None = None,
        max_pixels: int = MAX_PIXELS,
        substitute_unreadable: bool = False,
        skip_unreadable: bool = False,
    ):
        if repeat < 1:
            raise ValueError(f"repeat must be >= 1, got {repeat}")
        self.files = files if isinstance(files, FileTable) else [Path(f) for f in files]  # FileTable: compact
        self.transform = transform if hasattr(transform, "load") else DecodeThen(transform, min_side)
        self.repeat = repeat
        self.max_pixels = max_pixels
        self.substitute_unreadable = substitute_unreadable
        self.skip_unreadable = skip_unreadable

    def __len__(self) -> int:
        return len(self.files) * self.repeat

    def __getitem__(self, index: int) -> dict:
        """The image at ``index``. A file that became unreadable after indexing (deleted, a network
        disk gone) raises; with ``substitute_unreadable`` (training) it is replaced by the next file,
        with ``skip_unreadable`` (scoring: no photo may count twice) the item is ``{"path", "error"}``
        without ``rgb``, which ``collate_readable`` drops and counts. Either is logged. ``PADDING`` (an
        evaluation sampler evening out the DDP ranks' shares) gives an empty item, dropped uncounted."""
        if index == PADDING:
            return {}
        tries = min(len(self.files), MAX_SUBSTITUTES + 1) if self.substitute_unreadable else 1
        for k in range(tries):
            path = self.files[(index + k) % len(self.files)]
            try:
                return {"rgb": self.transform.load(path, self.max_pixels), "path": str(path)}
            except Exception as err:
                error = OSError(f"cannot read image {path}: {err}")
                if self.skip_unreadable:
                    log.warning("%s; left out of the scores", error)
                    return {"path": str(path), "error": str(err)}
                if self.substitute_unreadable:
                    log.warning("%s; training on the next image instead", error)
        raise error


def collate_readable(items: list[dict]) -> dict:
    """A batch of the readable items, ``{"rgb": uint8 (B, 3, S, S), "path": [...], "unreadable": [paths]}``;
    ``rgb`` has B = 0 when no item of the batch could be read."""
    readable = [item for item in items if "rgb" in item]
    rgb = torch.stack([item["rgb"] for item in readable]) if readable else torch.empty(0, 3, 0, 0, dtype=torch.uint8)
    return {
        "rgb": rgb,
        "path": [item["path"] for item in readable],
        "unreadable": [item["path"] for item in items if "error" in item],
    }
