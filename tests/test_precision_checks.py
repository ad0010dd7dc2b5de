"""Precision: gradients are clipped after a 16-mixed GradScaler unscales them, and settings colorgan cannot
train in stop at start-up, naming the ones it can."""

from __future__ import annotations

from functools import partial

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.plugins.precision import MixedPrecision
from torch.utils.data import DataLoader

from colorgan.benchmarks.train_step import SameBatch
from colorgan.cli import run_task
from colorgan.errors import ConfigError
from colorgan.models.gan_module import GANColorizer
from colorgan.models.nets import PatchGAN, Pix2PixUNet
from colorgan.train import train
from colorgan.training.precision import SUPPORTED, check_precision
from tests.conftest import FAST, compose_cfg


class GradientNorms(pl.Callback):
    """The total gradient norm each optimizer holds when its ``step`` runs (after any clipping)."""

    def __init__(self):
        self.norms: list[float] = []

    def on_train_start(self, trainer, pl_module) -> None:
        def record(optimizer, args, kwargs) -> None:
            grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
            self.norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())

        for optimizer in trainer.optimizers:
            optimizer.register_step_pre_hook(record)


CLIP = 1e-3  # far below the raw G and D gradient norms: every step is clipped to exactly this


def small_gan() -> GANColorizer:
    torch.manual_seed(0)
    return GANColorizer(
        generator=Pix2PixUNet(num_downs=5, ngf=8),
        discriminator=PatchGAN(ndf=8, n_layers=2),
        optimizer_g=partial(torch.optim.Adam, lr=2e-4, betas=(0.5, 0.999)),
        optimizer_d=partial(torch.optim.Adam, lr=2e-4, betas=(0.5, 0.999)),
        gradient_clip_val=CLIP,
    )


def test_16_mixed_clips_the_unscaled_gradients(photo_batch):
    """GradScaler multiplies the loss by its scale before backward: clipping then would leave gradients
    of norm CLIP / scale once unscaled, and the clip value would mean nothing."""
    # Lightning turns 16-mixed into bf16-mixed on a CPU; a GradScaler given explicitly runs as on a GPU.
    # A scale of 16, not the default 65536: no fp16 overflow in these tiny nets, so no step is skipped.
    scaler = torch.amp.GradScaler("cpu", init_scale=16.0)
    norms = GradientNorms()
    trainer = pl.Trainer(
        accelerator="cpu", plugins=[MixedPrecision("16-mixed", "cpu", scaler)], max_steps=2, logger=False,
        callbacks=[norms], enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        limit_val_batches=0,
    )  # fmt: skip
    trainer.fit(small_gan(), DataLoader(SameBatch(photo_batch, 2), batch_size=None))
    assert trainer.precision_plugin.scaler is scaler and scaler.get_scale() == 16.0  # the loss was scaled
    assert len(norms.norms) == 4 and all(CLIP * 0.999 < n < CLIP * 1.001 for n in norms.norms), norms.norms


@pytest.mark.parametrize("precision", ["16-true", "bf16-true", "64-true", "transformer-engine", "8-mixed"])
def test_unsupported_precisions_stop_at_start_up_naming_the_choices(tmp_path, precision):
    cfg = compose_cfg(tmp_path, [*FAST, "model=mse_cnn", f"trainer.precision={precision}", "trainer.max_steps=1"])
    with pytest.raises(SystemExit, match=f"trainer.precision={precision} is not supported") as stop:
        run_task(train, cfg)
    assert "32-true, 16-mixed, bf16-mixed" in str(stop.value)
    assert not (tmp_path / "checkpoints").exists()  # nothing ran


@pytest.mark.parametrize(("given", "canonical"), [(32, "32-true"), ("32", "32-true"), ("16", "16-mixed"),
                                                  ("bf16", "bf16-mixed"), ("bf16-mixed", "bf16-mixed")])  # fmt: skip
def test_lightnings_spellings_of_the_supported_choices_are_accepted(given, canonical):
    assert check_precision(given) == canonical and canonical in SUPPORTED
    with pytest.raises(ConfigError, match="bf16-true"):
        check_precision("bf16-true")
    assert check_precision("auto") == "auto"  # trainer.precision's default: chosen among SUPPORTED
