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
    handful of photos still makes epochs long enough to train and validate on.
    """

    def __init__(self, files: Sequence[str | Path], transform: Callable[[Image.Image], torch.Tensor], repeat: int = 1):
        if repeat < 1:
            raise ValueError(f"repeat must be >= 1, got {repeat}")
        self.files = [Path(f) for f in files]
        self.transform = transform
        self.repeat = repeat

    def __len__(self) -> int:
        return len(self.files) * self.repeat

    def __getitem__(self, index: int) -> dict:
        path = self.files[index % len(self.files)]
        try:
            img = load_rgb(path)
        except Exception as err:
            raise OSError(f"cannot read image {path}: {err}") from err
        return {"rgb": self.transform(img), "path": str(path)}
