"""Data modules over image files on disk: a folder of your photos (hash / layout / file split, the
cached index), or the sample photos scikit-image ships."""

from __future__ import annotations

from pathlib import Path

from pytorch_lightning.utilities import rank_zero_only

from colorgan.data.datamodule import ColorizationDataModule
from colorgan.data.index import AUTO, DatasetIndex, build_index, wait_for_index
from colorgan.data.samples import sample_photos
from colorgan.data.scan import ScanResult, scan_images
from colorgan.data.split import Split, file_split, hash_split, layout_split


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
        index_cache: str | None = AUTO,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if root is None:
            raise ValueError("data=folder needs data.root=/path/to/photos")
        self.root = Path(root).expanduser().absolute()
        self.source = str(self.root)
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.split_seed = split_seed
        self.split_file = split_file
        self.index_cache = index_cache  # a folder, auto (the user's cache folder) or None (no cache)
        self.index: DatasetIndex | None = None

    def data_index(self) -> DatasetIndex:
        """Every image below root with its data-check verdict (colorgan.data.index); ranks > 0 load rank 0's."""
        if self.index is None:
            if rank_zero_only.rank > 0 and self.index_cache is not None:
                self.index = wait_for_index(self.root, self.limits, self.index_cache)
            else:
                self.index = build_index(self.root, self.limits, self.num_workers, self.index_cache)
        return self.index

    def list_files(self) -> Split:
        if self.split_file:
            return file_split(self.root, self.split_file)
        fractions = (self.val_fraction, self.test_fraction, self.split_seed)
        usable = self.data_index().usable  # the split is drawn from the files the data check kept
        return layout_split(self.root, usable.below, *fractions) or hash_split(usable, self.root, *fractions)

    def _checked(self, split: Split) -> Split:
        """The index's verdicts; with a split_file, files it names outside root are checked now."""
        index = self.data_index()
        if split.rule.get("kind") != "file":
            return self._without(split, ScanResult(index.usable, index.skipped), present=False)
        listed, indexed = split.files("all"), set(index.files)
        result = scan_images([f for f in listed if f not in indexed], self.num_workers, **self.limits)
        named = set(listed)
        bad = dict([(f, r) for f, r in index.skipped if f in named] + result.skipped)
        return self._without(split, ScanResult([f for f in listed if f not in bad], list(bad.items())))


class SampleDataModule(ColorizationDataModule):
    """The real colour photographs bundled with scikit-image: no download, a fixed split
    (5 train, 1 val for checkpoint selection, 1 held-out test photo)."""

    def list_files(self) -> Split:
        train, val, test = sample_photos()
        self.root = train[0].parent
        return Split(train, val, test, rule={"kind": "fixed", "source": "scikit-image sample photos"})
