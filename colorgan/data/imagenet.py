"""ILSVRC2012 (ImageNet) as colorgan data: ``train/`` to train and select on, ``val/`` held out as the test split.

``data.root`` holds the standard layout: ``train/nXXXXXXXX/*.JPEG``, and ``val/`` either flat
(``val/ILSVRC2012_val_00000001.JPEG`` ...) or in class folders (``val/nXXXXXXXX/ILSVRC2012_val_*.JPEG``).
Checkpoint selection (the val split) is a small hashed slice of ``train/`` (``data.val_fraction``), so
no ILSVRC2012 validation image, which every published protocol draws from, is trained or selected on.
"""

from __future__ import annotations

import logging
from pathlib import Path

from colorgan.data.datamodule import ColorizationDataModule
from colorgan.data.file_table import FileTable
from colorgan.data.split import Split, hash_split
from colorgan.data.walk import list_images
from colorgan.errors import ConfigError

log = logging.getLogger(__name__)


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
    return {Path(rel).name: folder / rel for rel in list_images(folder)[0]}


class ImageNetDataModule(ColorizationDataModule):
    """train = ``train/`` minus a ``val_fraction`` hashed slice (the val split, for checkpoint selection);
    test = every image of ``val/``."""

    def __init__(self, root: str, val_fraction: float = 0.004, split_seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if root is None:
            raise ConfigError("data=imagenet needs data.root=/path/to/ILSVRC2012")
        self.root = Path(root).expanduser().absolute()
        self.source = str(self.root)
        self.val_fraction = val_fraction
        self.split_seed = split_seed

    def list_files(self) -> Split:
        train_dir = self.root / "train"
        if not train_dir.is_dir():
            raise FileNotFoundError(f"data=imagenet: no train/ folder in {self.root} (expected train/nXXXXXXXX/*.JPEG)")
        in_classes = [f"train/{rel}" for rel in self.usable(train_dir).relpaths() if rel.count("/") == 1]
        if not in_classes:
            raise FileNotFoundError(f"data=imagenet: no usable images in the class folders of {train_dir}")
        train = FileTable.from_relpaths(self.root, in_classes)  # hashed by the path below root, as data=folder
        carved = hash_split(train, self.root, self.val_fraction, 0.0, self.split_seed)
        test = self.usable(val_folder(self.root))
        rule = {"kind": "imagenet", "val_fraction": self.val_fraction, "seed": self.split_seed, "test": "val/"}
        return Split(carved.train, carved.val, list(test), rule=rule)

    def eval_files(self, split: str = "test") -> list[Path]:
        """The test split (``val/``) without listing or checking the 1.28 M training images."""
        if split != "test" or self.split is not None:
            return super().eval_files(split)
        self.left_out = []
        test = list(self.usable(val_folder(self.root)))
        self._report(Split([], [], test, rule={}), need_train=False)
        return test
