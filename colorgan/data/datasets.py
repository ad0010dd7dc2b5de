"""A dataset of image files: each item is ``{"rgb": uint8 (3, S, S), "path": str}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset

from colorgan.data.images import load_rgb


class ImageFileDataset(Dataset):
    """Image files -> transformed RGB uint8 tensors.

    ``repeat`` visits every file that many times per epoch (with fresh random crops), so a
    handful of photos still makes epochs long enough to train and validate on. ``min_side`` lets
    large JPEGs decode at reduced scale when the transform needs no more (see ``load_rgb``).
    """

    def __init__(
        self,
        files: Sequence[str | Path],
        transform: Callable[[Image.Image], torch.Tensor],
        repeat: int = 1,
        min_side: int | None = None,
    ):
        if repeat < 1:
            raise ValueError(f"repeat must be >= 1, got {repeat}")
        self.files = [Path(f) for f in files]
        self.transform = transform
        self.repeat = repeat
        self.min_side = min_side

    def __len__(self) -> int:
        return len(self.files) * self.repeat

    def __getitem__(self, index: int) -> dict:
        path = self.files[index % len(self.files)]
        try:
            img = load_rgb(path, self.min_side)
        except Exception as err:
            raise OSError(f"cannot read image {path}: {err}") from err
        return {"rgb": self.transform(img), "path": str(path)}
