"""The GAN step: D and G move in the right directions, and the step counter means iterations."""

from functools import partial

import pytest
import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader

from colorgan.benchmarks.train_step import SameBatch
from colorgan.models.gan_module import GANColorizer
from colorgan.models.nets import PatchGAN, ResNetUNet


def make_gan(gan_mode="vanilla", lr_g=2e-4, lr_d=2e-4, lambda_l1=100.0, pretrain_epochs=0) -> GANColorizer:
    torch.manual_seed(0)
    return GANColorizer(
        generator=ResNetUNet(backbone="resnet18"),
        # instance norm: D's output on a batch does not depend on batch statistics or running stats
        discriminator=PatchGAN(ndf=16, n_layers=2, norm_layer=partial(nn.InstanceNorm2d, affine=True)),
        optimizer_g=partial(torch.optim.Adam, lr=lr_g, betas=(0.5, 0.999)),
        optimizer_d=partial(torch.optim.Adam, lr=lr_d, betas=(0.5, 0.999)),
        gan_mode=gan_mode,
        lambda_l1=lambda_l1,
        pretrain_epochs=pretrain_epochs,
    )


def fit(model: GANColorizer, batch: dict, steps: int, steps_per_epoch: int | None = None) -> pl.Trainer:
    trainer = pl.Trainer(
        accelerator="cpu",
        max_steps=steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
    )
    loader = DataLoader(SameBatch(batch, steps_per_epoch or steps), batch_size=None)
    trainer.fit(model, train_dataloaders=loader)
    return trainer


@torch.no_grad()
def d_view(model: GANColorizer, batch: dict) -> tuple[float, float, float, float]:
    """(D loss, D score on real, D score on fake, G adversarial loss) on the batch."""
    L, ab, _ = model.split_batch(batch)
    ab_hat = model.generator.eval()(L)
    real, fake = model.discriminate(L, ab), model.discriminate(L, ab_hat)
    loss = model.gan_loss
    return (
        loss.discriminator_loss(real, fake).item(),
        loss.score(real).item(),
        loss.score(fake).item(),
        loss.generator_loss(fake).item(),
    )


@pytest.mark.parametrize("gan_mode", ["vanilla", "lsgan", "hinge"])
def test_discriminator_learns_to_tell_real_from_fake_when_only_d_steps(photo_batch, gan_mode):
    model = make_gan(gan_mode, lr_g=0.0)
    g_before = [p.clone() for p in model.generator.parameters()]
    d_loss0, real0, fake0, _ = d_view(model, photo_batch)
    fit(model, photo_batch, steps=8)
    d_loss1, real1, fake1, _ = d_view(model, photo_batch)
    assert d_loss1 < d_loss0
    assert real1 - fake1 > real0 - fake0 + 0.01  # D separates the truth from the generator's ab
    assert all(torch.equal(a, b) for a, b in zip(g_before, model.generator.parameters()))


@pytest.mark.parametrize("gan_mode", ["vanilla", "lsgan", "hinge"])
def test_generator_learns_to_fool_a_fixed_discriminator(photo_batch, gan_mode):
    model = make_gan(gan_mode, lr_d=0.0, lambda_l1=0.0, lr_g=1e-3)
    d_before = [p.clone() for p in model.discriminator.parameters()]
    *_, g_adv0 = d_view(model, photo_batch)
    fit(model, photo_batch, steps=8)
    *_, g_adv1 = d_view(model, photo_batch)
    assert g_adv1 < g_adv0
    assert all(torch.equal(a, b) for a, b in zip(d_before, model.discriminator.parameters()))


def test_max_steps_counts_gan_iterations_not_optimizer_steps(photo_batch):
    model = make_gan()
    trainer = fit(model, photo_batch, steps=5)
    assert trainer.global_step == 5
    assert trainer.fit_loop.epoch_loop.batch_progress.total.completed == 5  # 5 D steps + 5 G steps


def test_pretraining_epochs_train_only_the_generator_on_l1(photo_batch):
    model = make_gan(pretrain_epochs=1)
    d_before = [p.clone() for p in model.discriminator.parameters()]
    g_before = [p.clone() for p in model.generator.parameters()]
    trainer = fit(model, photo_batch, steps=3, steps_per_epoch=3)  # stops at the end of epoch 0
    assert trainer.global_step == 3
    assert all(torch.equal(a, b) for a, b in zip(d_before, model.discriminator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(g_before, model.generator.parameters()))
    assert "train/d_loss" not in trainer.callback_metrics and "train/g_l1" in trainer.callback_metrics
    # the GAN phase starts with epoch 1
    trainer = fit(model, photo_batch, steps=6, steps_per_epoch=3)
    assert "train/d_loss" in trainer.callback_metrics


def test_unknown_gan_mode_is_refused():
    with pytest.raises(ValueError, match="wgan"):
        make_gan(gan_mode="wgan")


@pytest.mark.parametrize("clip", [1e-3, None])
def test_gradient_clipping_bounds_the_update(photo_batch, clip):
    """With SGD the step is lr * grad, so a clipped gradient norm bounds how far G moves."""
    model = make_gan(lr_d=0.0)
    model.optimizer_g = partial(torch.optim.SGD, lr=1.0)
    model.gradient_clip_val = clip
    before = torch.cat([p.detach().flatten().clone() for p in model.generator.parameters()])
    fit(model, photo_batch, steps=1)
    after = torch.cat([p.detach().flatten() for p in model.generator.parameters()])
    moved = torch.linalg.vector_norm(after - before).item()
    if clip is None:
        assert moved > 1e-2  # unclipped, the L1 + GAN gradient is far larger than the clip below
    else:
        assert 0 < moved <= clip * 1.01


def test_schedulers_are_stepped_by_hand_every_epoch(photo_batch):
    model = make_gan()
    model.scheduler_g = partial(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    model.scheduler_d = partial(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.1)
    trainer = fit(model, photo_batch, steps=2, steps_per_epoch=1)  # two epochs
    opt_g, opt_d = trainer.optimizers
    assert opt_g.param_groups[0]["lr"] == pytest.approx(2e-4 * 0.25)
    assert opt_d.param_groups[0]["lr"] == pytest.approx(2e-4 * 0.01)
