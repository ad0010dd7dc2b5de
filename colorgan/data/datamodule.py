"""LightningDataModules: a folder of your photos, or the sample photos scikit-image ships."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only
from torch.utils.data import DataLoader

from colorgan.data.datasets import ImageFileDataset
from colorgan.data.images import MAX_PIXELS, find_images
from colorgan.data.sampler import ResumableSampler
from colorgan.data.samples import sample_photos
from colorgan.data.scan import scan_images, write_report
from colorgan.data.split import split_files
from colorgan.data.transforms import train_transform, val_transform

log = logging.getLogger(__name__)


class ColorizationDataModule(pl.LightningDataModule):
    """Batches of ``{"rgb": uint8 (B, 3, S, S), "path": [str]}`` from a train and a val file list.

    ``batch_size`` is per device: under DDP the global batch is ``batch_size * world_size``.
    Subclasses say where the files come from (``list_files``).
    """

    def __init__(
        self,
        image_size: int = 256,
        batch_size: int = 16,
        num_workers: int = 2,
        pin_memory: bool | None = None,
        repeat: int = 1,
        min_scale: float = 0.25,
        shuffle_seed: int | None = 0,
        max_image_pixels: int = MAX_PIXELS,
        min_image_side: int = 32,
        exclude_grayscale: bool = True,
        decode_check: bool = True,
        report_dir: str | None = None,
    ):
        super().__init__()
        self.image_size = image_size
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.pin_memory = torch.cuda.is_available() if pin_memory is None else pin_memory
        self.repeat = repeat
        self.min_scale = min_scale
        self.shuffle_seed = shuffle_seed or 0
        self._resume: dict | None = None
        self.limits = {
            "max_pixels": max_image_pixels,
            "min_side": min_image_side,
            "exclude_grayscale": exclude_grayscale,
            "decode": decode_check,
        }
        self.report_dir = report_dir
        self.train_files: list[Path] = []
        self.val_files: list[Path] = []

    default_eval_split = "all"

    def list_files(self) -> tuple[list[Path], list[Path]]:
        raise NotImplementedError

    def eval_files(self, split: str | None = None) -> list[Path]:
        """Files to evaluate on: ``all`` (train + val), ``train`` or ``val``; None: the data's default."""
        self.setup()
        choices = {"all": sorted(self.train_files + self.val_files), "train": self.train_files, "val": self.val_files}
        split = split or self.default_eval_split
        if split not in choices:
            raise ValueError(f"split must be one of {', '.join(choices)}; got {split!r}")
        return choices[split]

    source = "the dataset"  # where the files come from, for messages

    def setup(self, stage: str | None = None) -> None:
        if not self.train_files:
            self.train_files, self.val_files = self._checked(*self.list_files())
            log.info("data: %d train / %d val images", len(self.train_files), len(self.val_files))

    def _checked(self, train: list[Path], val: list[Path]) -> tuple[list[Path], list[Path]]:
        """Both lists without the files ``scan_images`` rejects; reported, and fatal if none is left."""
        result = scan_images(train + val, workers=self.num_workers, **self.limits)
        if not result.skipped:
            return train, val
        report = write_report(result.skipped, self.report_dir) if rank_zero_only.rank == 0 else None
        where = f"; full list: {report}" if report else ""
        usable = set(result.usable)
        train, val = [f for f in train if f in usable], [f for f in val if f in usable]
        if not train:
            raise FileNotFoundError(f"no usable training image in {self.source}: {result.summary()}{where}")
        log.warning("data: %s%s", result.summary(), where)
        return train, val

    def _loader(self, dataset: ImageFileDataset, sampler: ResumableSampler, train: bool) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            drop_last=train and len(sampler) >= self.batch_size,  # BatchNorm cannot train on 1 image
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        transform = train_transform(self.image_size, self.min_scale)
        # the smallest random crop (area min_scale) still gets image_size pixels from the decoded photo
        min_side = math.ceil(self.image_size / math.sqrt(self.min_scale))
        dataset = ImageFileDataset(self.train_files, transform, self.repeat, min_side, self.limits["max_pixels"], True)
        sampler = ResumableSampler(len(dataset), shuffle=True, seed=self.shuffle_seed)
        # Lightning sets a sampler's epoch only after its first iterator exists, which on a resumed
        # run is already the checkpoint's epoch: set it here.
        sampler.set_epoch(self.trainer.current_epoch if self.trainer is not None else 0)
        if self._resume is not None:
            sampler.resume_at(self._resume["epoch"], self._resume["batches_done"] * self.batch_size)
        return self._loader(dataset, sampler, train=True)

    def state_dict(self) -> dict:
        """Where the training epoch stands, for a mid-epoch resume (stored in every checkpoint)."""
        if self.trainer is None:
            return {}
        progress = self.trainer.fit_loop.epoch_loop.batch_progress.current
        return {"epoch": self.trainer.current_epoch, "batches_done": progress.processed}

    def load_state_dict(self, state: dict) -> None:
        self._resume = dict(state) if state else None

    def val_dataloader(self) -> DataLoader:
        transform = val_transform(self.image_size)
        dataset = ImageFileDataset(self.val_files, transform, 1, self.image_size, self.limits["max_pixels"], True)
        return self._loader(dataset, ResumableSampler(len(dataset), shuffle=False, even=False), train=False)

    def test_dataloader(self) -> DataLoader:
        return self.val_dataloader()


class FolderDataModule(ColorizationDataModule):
    """Every image below ``root`` (recursive), split by a stable hash of the relative path."""

    def __init__(self, root: str, val_fraction: float = 0.05, split_seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if root is None:
            raise ValueError("data=folder needs data.root=/path/to/photos")
        self.root = Path(root).expanduser()
        self.source = str(self.root)
        self.val_fraction = val_fraction
        self.split_seed = split_seed

    def list_files(self) -> tuple[list[Path], list[Path]]:
        files = find_images(self.root)
        return split_files(files, self.root, self.val_fraction, self.split_seed)


class SampleDataModule(ColorizationDataModule):
    """The real colour photographs bundled with scikit-image: no download, a fixed split.

    Evaluation defaults to the val photos: the ones a model trained here never saw.
    """

    default_eval_split = "val"

    def list_files(self) -> tuple[list[Path], list[Path]]:
        return sample_photos()
