"""Data modules over image files on disk: a folder of your photos (hash / layout / file split), or the
sample photos scikit-image ships. Both draw on the cached dataset index of their folder."""

from __future__ import annotations

from pathlib import Path

from colorgan.data.datamodule import ColorizationDataModule
from colorgan.data.samples import sample_photos
from colorgan.data.split import Split, file_split, hash_split, layout_split
from colorgan.errors import ConfigError


class FolderDataModule(ColorizationDataModule):
    """Every image below ``root`` (recursive), split by ``split_file``, by ``root/train|val|test``
    subfolders, or by a stable hash of the relative path (see ``colorgan.data.split``)."""

    def __init__(
        self,
        root: str,
        val_fraction: float = 0.05,
        test_fraction: float = 0.05,
        split_seed: int = 0,
        split_file: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if root is None:
            raise ConfigError("data=folder needs data.root=/path/to/photos")
        self.root = Path(root).expanduser().absolute()
        self.source = str(self.root)
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.split_seed = split_seed
        self.split_file = split_file

    def list_files(self) -> Split:
        if self.split_file:  # the named files; those outside root are checked now
            return self.checked(file_split(self.root, self.split_file), self.indexed(self.root))
        fractions = (self.val_fraction, self.test_fraction, self.split_seed)
        usable = self.usable(self.root)  # the split is drawn from the files the data check kept
        return layout_split(self.root, usable.below, *fractions) or hash_split(usable, self.root, *fractions)


class SampleDataModule(ColorizationDataModule):
    """The real colour photographs bundled with scikit-image: no download, a fixed split
    (5 train, 1 val for checkpoint selection, 1 held-out test photo)."""

    def list_files(self) -> Split:
        train, val, test = sample_photos()
        self.root = train[0].parent
        split = Split(train, val, test, rule={"kind": "fixed", "source": "scikit-image sample photos"})
        return self.checked(split, self.indexed(self.root))
