"""ILSVRC2012 (ImageNet) as colorgan data: ``train/`` to train and select on, ``val/`` held out as the test split.

``data.root`` holds the standard layout: ``train/nXXXXXXXX/*.JPEG``, and ``val/`` either flat
(``val/ILSVRC2012_val_00000001.JPEG`` ...) or in class folders (``val/nXXXXXXXX/ILSVRC2012_val_*.JPEG``).
Checkpoint selection (the val split) is a small hashed slice of ``train/`` (``data.val_fraction``), so
no ILSVRC2012 validation image, which every published protocol draws from, is trained or selected on.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from colorgan.data.datamodule import ColorizationDataModule
from colorgan.data.images import IMAGE_EXTENSIONS
from colorgan.data.scan import scan_images, write_report
from colorgan.data.split import Split, hash_split

log = logging.getLogger(__name__)


def _images_in(folder: Path) -> list[Path]:
    """Image files directly in ``folder`` (``os.scandir``: no stat per file, fast on 1.28 M files)."""
    with os.scandir(folder) as entries:
        return [Path(e.path) for e in entries if e.is_file() and Path(e.name).suffix.lower() in IMAGE_EXTENSIONS]


def _subfolders(folder: Path) -> list[Path]:
    with os.scandir(folder) as entries:
        return sorted(Path(e.path) for e in entries if e.is_dir())


def train_files(root: Path) -> list[Path]:
    """Every image in ``root/train/<class>/``, sorted; a missing or empty ``train/`` is named."""
    train = root / "train"
    if not train.is_dir():
        raise FileNotFoundError(f"data=imagenet: no train/ folder in {root} (expected train/nXXXXXXXX/*.JPEG)")
    files = sorted(f for d in _subfolders(train) for f in _images_in(d))
    if not files:
        raise FileNotFoundError(f"data=imagenet: no images in the class folders of {train}")
    return files


def val_folder(root: str | Path) -> Path:
    """``root/val``, or ``root`` itself when it is the validation folder."""
    root = Path(root).expanduser()
    if (root / "val").is_dir():
        return root / "val"
    if root.is_dir() and any(p.name.startswith("ILSVRC2012_val_") for p in root.iterdir()):
        return root
    raise FileNotFoundError(f"data=imagenet: no val/ folder in {root} (expected val/ILSVRC2012_val_*.JPEG)")


def val_files(root: str | Path) -> dict[str, Path]:
    """The validation images by file name, from a flat ``val/`` or from its class folders."""
    folder = val_folder(root)
    found = {p.name: p for p in _images_in(folder)}
    for sub in _subfolders(folder):
        found.update({p.name: p for p in _images_in(sub)})
    return found


class ImageNetDataModule(ColorizationDataModule):
    """train = ``train/`` minus a ``val_fraction`` hashed slice (the val split, for checkpoint selection);
    test = every image of ``val/``."""

    def __init__(self, root: str, val_fraction: float = 0.004, split_seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if root is None:
            raise ValueError("data=imagenet needs data.root=/path/to/ILSVRC2012")
        self.root = Path(root).expanduser().absolute()
        self.source = str(self.root)
        self.val_fraction = val_fraction
        self.split_seed = split_seed

    def list_files(self) -> Split:
        carved = hash_split(train_files(self.root), self.root, self.val_fraction, 0.0, self.split_seed)
        test = sorted(val_files(self.root).values())
        rule = {"kind": "imagenet", "val_fraction": self.val_fraction, "seed": self.split_seed, "test": "val/"}
        return Split(carved.train, carved.val, test, rule=rule)

    def eval_files(self, split: str = "test") -> list[Path]:
        """The test split (``val/``) without listing or checking the 1.28 M training images."""
        if split != "test" or self.split is not None:
            return super().eval_files(split)
        result = scan_images(sorted(val_files(self.root).values()), workers=self.num_workers, **self.limits)
        if result.skipped:
            report = write_report(result.skipped, self.report_dir)
            log.warning("data: %s%s", result.summary(), f"; full list: {report}" if report else "")
        return result.usable
