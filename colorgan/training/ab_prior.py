"""zhang16's ab-bin prior before fitting: from ``model.prior_file``, or one pass over the training images
(cached, the same on every rank), set by the ``ABPriorPass`` callback that every training run has.

Zhang et al. 2016 (Sec. 2.2) take the colour distribution of the whole training set. Here each
training image is read once at the working size (resized and center-cropped, as for validation),
its ab subsampled at the loss's stride 4 (as the released training net subsamples its targets),
and every pixel counted in its nearest bin. Under DDP every rank counts its share of the files and
the counts are summed. The counts are cached under ``colorgan.data.cache.user_cache_dir()``, keyed by the file list, the
bins and the size, so later runs (and resumed ones) skip the pass.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader
from tqdm import tqdm

from colorgan.color import rgb_to_L_ab
from colorgan.color.ab_bins import bin_counts, load_prior_file, smooth_prior
from colorgan.data.cache import user_cache_dir
from colorgan.data.datasets import ImageFileDataset
from colorgan.data.transforms import val_transform
from colorgan.errors import ConfigError
from colorgan.models.classification_module import LOSS_STRIDE, ClassificationColorizer

log = logging.getLogger(__name__)

_KEY_VERSION = "ab-prior-v1"  # change when the way pixels are counted changes: old caches then miss


def cache_path(files: list[Path], bins: Tensor, image_size: int) -> Path:
    """Where the counts for these files (by absolute path), bins and working size are kept."""
    digest = hashlib.sha256(f"{_KEY_VERSION}:{image_size}:{LOSS_STRIDE}".encode())
    digest.update(bins.float().cpu().numpy().tobytes())
    for f in sorted(os.path.abspath(f) for f in files):
        digest.update(f.encode("utf-8", "surrogateescape") + b"\0")
    return user_cache_dir() / "ab_prior" / f"{digest.hexdigest()[:32]}.npy"


def count_pixels(
    files: list[Path], bins: Tensor, image_size: int, batch_size: int = 16, num_workers: int = 0
) -> Tensor:
    """Pixels per bin over ``files`` (one pass): ``(Q,)`` float64."""
    if not files:
        return torch.zeros(bins.shape[0], dtype=torch.float64)
    dataset = ImageFileDataset(files, val_transform(image_size), substitute_unreadable=True)  # reads at its scale
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, shuffle=False)
    batches = (batch["rgb"] for batch in tqdm(loader, desc="ab prior", unit="batch", disable=len(loader) < 8))
    return count_batches(batches, bins)


def count_batches(batches: Iterable[Tensor], bins: Tensor) -> Tensor:
    """Pixels per bin over RGB uint8 batches ``(B, 3, H, W)``, every ``LOSS_STRIDE``-th pixel: ``(Q,)`` float64."""
    counts = torch.zeros(bins.shape[0], dtype=torch.float64)
    for rgb in batches:
        _, ab = rgb_to_L_ab(rgb, ab_scale=1.0)  # Lab units
        counts += bin_counts(ab[..., ::LOSS_STRIDE, ::LOSS_STRIDE], bins)
    return counts


def training_counts(
    files: list[Path], bins: Tensor, image_size: int, strategy, batch_size: int, workers: int
) -> Tensor:
    """The bin counts of the training files: read from the cache, or counted (each DDP rank a share,
    summed over ranks) and cached by rank 0. Every rank returns the same ``(Q,)`` float64 tensor."""
    path = cache_path(files, bins, image_size)
    if strategy.broadcast(path.is_file(), src=0):
        counts = torch.from_numpy(np.load(path)) if strategy.is_global_zero else None
        log.info("ab prior: counts of %d training images read from the cache %s", len(files), path)
        return strategy.broadcast(counts, src=0)
    rank, world = strategy.global_rank, strategy.world_size
    log.info(
        "ab prior: one pass over %d training images (%d per rank), cached in %s",
        len(files),
        -(-len(files) // world),
        path,
    )
    counts = count_pixels(files[rank::world], bins, image_size, batch_size, workers)
    counts = strategy.reduce(counts.to(strategy.root_device), reduce_op="sum").cpu() if world > 1 else counts
    if counts.sum() <= 0:
        raise ValueError("ab prior: the training images gave no pixels to count")
    if strategy.is_global_zero:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        with open(partial, "wb") as f:
            np.save(f, counts.numpy())
        os.replace(partial, path)  # atomic: a concurrent run reads a whole file or none
    return counts


class ABPriorPass(pl.Callback):
    """Gives a zhang16 model (``ClassificationColorizer``) its prior before fitting, unless it has one
    (resumed, or rebuilt from a checkpoint): ``model.prior_file``, else the counts of the training files
    of the data module. Other models are left alone."""

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or not isinstance(pl_module, ClassificationColorizer) or pl_module.has_prior:
            return
        if pl_module.prior_file:
            pl_module.prior.copy_(load_prior_file(pl_module.prior_file, pl_module.bins.shape[0]).float())
            return
        data = trainer.datamodule
        if hasattr(data, "prior_batches"):  # generated data (data=ambiguous): counted from its own scenes
            counts = count_batches(data.prior_batches(), pl_module.bins)
            pl_module.prior.copy_(smooth_prior(counts, pl_module.bins, pl_module.prior_sigma).float())
            return
        files = list(getattr(data, "train_files", None) or [])
        if not files:
            raise ConfigError(
                f"model=zhang16 needs the ab prior of the training data, but {type(data).__name__} lists no "
                "training files: pass model.prior_file=/path/prior_probs.npy"
            )
        if not Path(files[0]).is_file():  # data=streaming on a machine without the original photos
            raise ConfigError(
                f"model=zhang16 counts its ab prior from the training photos, but {files[0]} is not here "
                "(data=streaming reads them only where they were prepared): pass model.prior_file=prior.npy"
            )
        counts = training_counts(
            files, pl_module.bins, int(data.image_size), trainer.strategy, data.batch_size, data.num_workers
        )
        pl_module.prior.copy_(smooth_prior(counts, pl_module.bins, pl_module.prior_sigma).float())
