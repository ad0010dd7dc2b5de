"""Building a model config and real photo batches for the benchmarks, as training would."""

from __future__ import annotations

import math

import torch
from hydra import compose, initialize_config_dir

from colorgan.cli import config_dir
from colorgan.color import rgb_to_L_ab
from colorgan.color.ab_bins import bin_counts, smooth_prior
from colorgan.data.images import load_rgb
from colorgan.data.samples import sample_photos
from colorgan.data.transforms import val_transform
from colorgan.models.base import ColorizationModule
from colorgan.models.build import build_model
from colorgan.models.classification_module import ClassificationColorizer


def benchmark_model(name: str, size: int) -> ColorizationModule:
    """The model config ``name`` as training builds it; the GAN without its L1-only warm-up epochs,
    and pix2pix with as many downsamplings as ``size`` allows."""
    overrides = [f"model={name}"]
    if name == "gan":
        overrides.append("model.pretrain_epochs=0")
    if name == "pix2pix":
        overrides.append(f"model.generator.num_downs={min(8, int(math.log2(size)))}")
    with initialize_config_dir(version_base="1.3", config_dir=config_dir()):
        cfg = compose("train", overrides=overrides)
    torch.manual_seed(0)  # the same untrained weights in every run: an untrained net's colours set the gamut work
    model = build_model(cfg.model)
    if isinstance(model, ClassificationColorizer):  # its prior, from the benchmark's own photos (no data module)
        _, ab = rgb_to_L_ab(photo_batch(size, 8)["rgb"], ab_scale=1.0)
        model.prior.copy_(smooth_prior(bin_counts(ab[..., ::4, ::4], model.bins), model.bins).float())
    return model


def photo_batch(size: int, batch: int) -> dict:
    """``{"rgb": uint8 (batch, 3, size, size)}`` of real photographs (the bundled samples, cycled)."""
    train, *_ = sample_photos()
    transform = val_transform(size)
    images = [transform(load_rgb(train[i % len(train)])) for i in range(batch)]
    return {"rgb": torch.stack(images)}
