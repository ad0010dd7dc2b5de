"""The LightningDataModule every data source shares: split, data check, loaders, resumable order.
The sources: folder.py (your photos, the sample photos), imagenet.py, streaming/. Every source on disk
draws its split from the cached dataset index (index.py) of its folders: one walk, one file check."""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only
from torch.utils.data import DataLoader

from colorgan.data.datasets import ImageFileDataset, collate_readable
from colorgan.data.file_table import FileTable
from colorgan.data.fingerprints import file_keys
from colorgan.data.geometry import Geometry
from colorgan.data.images import MAX_PIXELS
from colorgan.data.index import USER_CACHE, DatasetIndex, build_index, wait_for_index
from colorgan.data.sampler import ResumableSampler
from colorgan.data.scan import ScanResult, scan_images, write_skipped_list
from colorgan.data.split import SPLITS, Split

log = logging.getLogger(__name__)


class ColorizationDataModule(pl.LightningDataModule):
    """Batches of ``{"rgb": uint8 (B, 3, S, S), "path": [str]}`` from a train / val / test split.

    ``batch_size`` is per device: under DDP the global batch is ``batch_size * world_size``.
    Subclasses say where the files come from and how they are split (``list_files``). Training uses
    train, checkpoint selection val; test is held out from both, for evaluate and compare. ``geometry``
    (crop | squash | letterbox, with ``load_size``, ``eval_size``, ``min_scale``, ``flip``) makes photos square
    the same way at train and test time (``colorgan.data.geometry``).
    """

    def __init__(
        self,
        image_size: int = 256,
        batch_size: int = 16,
        num_workers: int = 2,
        pin_memory: bool | None = None,
        repeat: int = 1,
        min_scale: float = 0.25,
        geometry: str = "crop",
        load_size: int | None = None,
        eval_size: int | None = None,
        flip: bool = True,
        shuffle_seed: int | None = 0,
        max_image_pixels: int = MAX_PIXELS,
        min_image_side: int = 32,
        exclude_grayscale: bool = True,
        decode_check: bool = True,
        index_cache: str | None = USER_CACHE,
        report_dir: str | None = None,
    ):
        super().__init__()
        self.image_size = image_size
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.pin_memory = torch.cuda.is_available() if pin_memory is None else pin_memory
        self.repeat = repeat
        self.min_scale = min_scale
        self.geometry = Geometry(geometry, image_size, load_size, eval_size, min_scale, flip)
        self.shuffle_seed = shuffle_seed or 0
        self._resume: dict | None = None
        self.limits = {
            "max_pixels": max_image_pixels,
            "min_side": min_image_side,
            "exclude_grayscale": exclude_grayscale,
            "decode": decode_check,
        }
        self.index_cache = index_cache  # a folder, auto (the user's cache folder) or None (no cache)
        self.report_dir = report_dir
        self._indexes: dict[Path, DatasetIndex] = {}
        self.left_out: list[tuple[Path, str]] = []  # what the data check skipped of this split's files
        self.split: Split | None = None
        self._shared = False  # the split was broadcast from DDP rank 0

    root: Path | None = None  # split.json lists paths relative to it
    source = "the dataset"  # where the files come from, for messages

    def list_files(self) -> Split:
        """The train / val / test files after the data check (what it skipped goes to ``left_out``)."""
        raise NotImplementedError

    def indexed(self, folder: Path) -> DatasetIndex:
        """Every image below ``folder`` and the data check's verdict on it, built once per run from the
        cache (``index_cache``): only new or changed files are checked. DDP ranks > 0 read rank 0's."""
        if folder not in self._indexes:
            if rank_zero_only.rank > 0 and self.index_cache is not None:
                self._indexes[folder] = wait_for_index(folder, self.limits, self.index_cache)
            else:
                self._indexes[folder] = build_index(folder, self.limits, self.num_workers, self.index_cache)
        return self._indexes[folder]

    def usable(self, folder: Path) -> FileTable:
        """The files below ``folder`` the data check kept; the ones it skipped are counted in ``left_out``."""
        index = self.indexed(folder)
        self.left_out += index.skipped
        return index.usable

    def checked(self, split: Split, index: DatasetIndex) -> Split:
        """A split of named files, less those the data check rejects: the verdicts of ``index``; files it
        does not list (outside its folder) are checked now."""
        listed, known = split.files("all"), set(index.files)
        outside = scan_images([f for f in listed if f not in known], self.num_workers, **self.limits)
        bad = dict(index.skipped) | dict(outside.skipped)
        self.left_out += [(f, bad[f]) for f in listed if f in bad]
        return Split(*([f for f in split.files(s) if f not in bad] for s in SPLITS), rule=split.rule)

    @property
    def train_files(self) -> list[Path]:
        return self.split.train if self.split else []

    @property
    def val_files(self) -> list[Path]:
        return self.split.val if self.split else []

    @property
    def test_files(self) -> list[Path]:
        return self.split.test if self.split else []

    def eval_files(self, split: str = "test") -> list[Path]:
        """The files of one split (``train``, ``val``, ``test``) or of ``all``, after the data check."""
        self.setup()
        return self.split.files(split)

    def setup(self, stage: str | None = None) -> None:
        if self.split is None:
            self.left_out = []
            split = self._report(self.list_files())
            root = self.root if self.root is not None else Path("/")
            # one string table per split, not a Path object per file (0.5 GB per process for ImageNet)
            self.split = Split(*(FileTable.from_paths(root, split.files(s)) for s in SPLITS), rule=split.rule)
            counts = " / ".join(f"{len(self.split.files(s))} {s}" for s in SPLITS)
            log.info("data: %s images (split: %s)", counts, self.split.rule.get("kind"))
        trainer = self.trainer
        if stage is not None and trainer is not None and trainer.world_size > 1 and not self._shared:
            # Every rank listed the data before the processes could talk; from here on all use rank 0's lists.
            self.split, self._shared = trainer.strategy.broadcast(self.split), True

    def split_record(self) -> dict:
        """What ``RUN/split.json`` holds: each split's paths relative to the data root, and the rule."""
        self.setup()
        return self.split.record(self.root)

    def split_meta(self) -> dict:
        """The split as a checkpoint carries it: the rule, the counts, and fingerprints of the files it
        trained and selected on (so evaluate can refuse to score them)."""
        self.setup()
        return {
            "rule": self.split.rule,
            "root": str(self.root) if self.root is not None else None,
            "counts": {s: len(self.split.files(s)) for s in ("train", "val", "test")},
            "train_keys": file_keys(self.train_files),
            "val_keys": file_keys(self.val_files),
        }

    def _report(self, split: Split, need_train: bool = True) -> Split:
        """``split``, after saying what the data check left out; fatal if no training file is left."""
        if not self.left_out:
            return split
        result = ScanResult(split.files("all"), self.left_out)
        report = write_skipped_list(self.left_out, self.report_dir) if rank_zero_only.rank == 0 else None
        where = f"; full list: {report}" if report else ""
        if need_train and not split.train:
            raise FileNotFoundError(f"no usable training image in {self.source}: {result.summary()}{where}")
        log.warning("data: %s%s", result.summary(), where)
        return split

    def _loader(self, dataset: ImageFileDataset, sampler: ResumableSampler, train: bool) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=None if train else collate_readable,  # scoring: unreadable files left out, counted
            drop_last=train and len(sampler) >= self.batch_size,  # BatchNorm cannot train on 1 image
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        transform, limit = self.geometry.train_transform(), self.limits["max_pixels"]
        dataset = ImageFileDataset(
            self.train_files, transform, self.repeat, max_pixels=limit, substitute_unreadable=True
        )
        return self._loader(dataset, self.train_sampler(len(dataset)), train=True)

    def train_sampler(self, size: int) -> ResumableSampler:
        """The shuffled training order over ``size`` items, at the epoch (and, resumed, the batch) training is at."""
        sampler = ResumableSampler(size, shuffle=True, seed=self.shuffle_seed)
        # Lightning sets a sampler's epoch only after its first iterator exists, which on a resumed
        # run is already the checkpoint's epoch: set it here.
        sampler.set_epoch(self.trainer.current_epoch if self.trainer is not None else 0)
        if self._resume is not None:
            sampler.resume_at(self._resume["epoch"], self._resume["batches_done"] * self.batch_size)
        return sampler

    def state_dict(self) -> dict:
        """Where the training epoch stands, for a mid-epoch resume (stored in every checkpoint)."""
        if self.trainer is None:
            return {}
        progress = self.trainer.fit_loop.epoch_loop.batch_progress.current
        return {"epoch": self.trainer.current_epoch, "batches_done": progress.processed}

    def load_state_dict(self, state: dict) -> None:
        self._resume = dict(state) if state else None

    def _eval_loader(self, files: list[Path]) -> DataLoader:
        dataset = ImageFileDataset(
            files, self.geometry.eval_transform(), max_pixels=self.limits["max_pixels"], skip_unreadable=True
        )
        return self._loader(dataset, ResumableSampler(len(dataset), shuffle=False, even=False), train=False)

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader(self.val_files)

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader(self.test_files)
