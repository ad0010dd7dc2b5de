"""Divergence: a NaN injected into a step stops training (last good checkpoint intact) or is skipped."""

from __future__ import annotations

import csv
import re
from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
import torch

from colorgan.cli import run_task
from colorgan.errors import DivergenceError
from colorgan.models.gan_module import GANColorizer
from colorgan.train import train
from colorgan.training.divergence import DivergenceGuard
from tests.conftest import FAST, compose_cfg


class NaNInjector(pl.Callback):
    """Makes the generator's output NaN in training batches ``first`` to ``last`` (counted from 1)."""

    def __init__(self, first: int, last: int | None = None):
        self.first, self.last = first, first if last is None else last
        self.batches = 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.batches += 1

    def on_fit_start(self, trainer, pl_module) -> None:
        def poison(module, inputs, output):
            if pl_module.training and self.first <= self.batches <= self.last:
                return output * float("nan")
            return output

        pl_module.generator.register_forward_hook(poison)


def gan_cfg(tmp_path, *extra: str, last_poisoned: int = 6):
    injector = f"{{_target_:{__name__}.NaNInjector,first:6,last:{last_poisoned}}}"  # from step 5
    return compose_cfg(
        tmp_path,
        [
            *FAST,
            "logger=csv",
            "model.pretrain_epochs=0",
            "model.generator.backbone=resnet10t",
            "trainer.max_steps=8",
            "trainer.log_every_n_steps=1",
            "callbacks.last_checkpoint.every_n_train_steps=2",
            f"+callbacks.nan={injector}",
            *extra,
        ],
    )


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    with pytest.raises(SystemExit) as stop:
        run_task(train, gan_cfg(tmp_path))
    message = str(stop.value)
    assert message.startswith("error: training diverged: train/d_loss is nan at step 5")
    assert "last.ckpt" in message and "on_nonfinite=skip" in message
    # the settings that exist for a GAN (manual optimization: Lightning refuses trainer.gradient_clip_val)
    assert "model.optimizer_g.lr" in message and "model.gradient_clip_val=" in message
    assert "trainer.gradient_clip_val" not in message and "model.optimizer.lr" not in message

    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert ckpt["global_step"] == 4  # the save before the NaN; nothing was written after it
    assert all(t.isfinite().all() for t in ckpt["state_dict"].values() if t.is_floating_point())


def test_skip_drops_the_poisoned_update_and_training_goes_on(tmp_path):
    train(gan_cfg(tmp_path, "divergence.on_nonfinite=skip"))
    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert ckpt["global_step"] == 8  # one batch more than steps: the skipped one did not count
    assert all(t.isfinite().all() for t in ckpt["state_dict"].values() if t.is_floating_point())
    with open(tmp_path / "metrics.csv") as f:
        skipped = [float(r["train/skipped_updates"]) for r in csv.DictReader(f) if r.get("train/skipped_updates")]
    assert skipped and max(skipped) == 2  # the D and the G update of the poisoned batch


def test_skip_gives_up_when_every_update_is_poisoned(tmp_path):
    cfg = gan_cfg(tmp_path, "divergence.on_nonfinite=skip", "divergence.max_consecutive_skips=3", last_poisoned=10**6)
    with pytest.raises(DivergenceError, match="after 3 skipped updates in a row"):
        train(cfg)


def test_a_regression_models_message_names_settings_that_work_for_it(tmp_path):
    nan = f"+callbacks.nan={{_target_:{__name__}.NaNInjector,first:2}}"
    with pytest.raises(DivergenceError) as stop:
        train(compose_cfg(tmp_path / "a", [*FAST, "model=mse_cnn", "trainer.max_steps=3", nan]))
    named = re.findall(r"\b(?:model|trainer)\.[a-z_.]+[a-z]", str(stop.value))
    assert set(named) == {"model.optimizer.lr", "trainer.gradient_clip_val"}
    # each named setting is one the user can type, and training takes it
    train(compose_cfg(tmp_path / "b", [*FAST, "model=mse_cnn", "trainer.max_steps=1", "model.optimizer.lr=1e-4",
                                        "trainer.gradient_clip_val=1.0"]))  # fmt: skip


def test_the_regression_models_skip_a_poisoned_batch(tmp_path):
    cfg = compose_cfg(
        tmp_path,
        [*FAST, "model=mse_cnn", "trainer.max_steps=6", "divergence.on_nonfinite=skip",
         f"+callbacks.nan={{_target_:{__name__}.NaNInjector,first:3}}"],
    )  # fmt: skip
    train(cfg)
    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert ckpt["global_step"] == 6
    assert all(t.isfinite().all() for t in ckpt["state_dict"].values() if t.is_floating_point())


def fake_module(world_size: int = 1, other_ranks: list[float] | None = None):
    """A module whose strategy sums a tensor over ``world_size`` ranks, the others adding ``other_ranks``."""

    def reduce(tensor, reduce_op="sum"):
        assert reduce_op == "sum"
        return tensor + torch.tensor(other_ranks) if other_ranks else tensor

    strategy = SimpleNamespace(reduce=reduce)
    return SimpleNamespace(trainer=SimpleNamespace(strategy=strategy, world_size=world_size), global_step=7,
                           current_epoch=0, stability_settings=GANColorizer.stability_settings)  # fmt: skip


def test_a_collapsed_discriminator_is_named_after_the_patience_runs_out(caplog):
    module, tiny, healthy = fake_module(), torch.tensor(1e-4), torch.tensor(0.4)
    guard = DivergenceGuard(collapse_patience=3)
    for loss in (tiny, tiny, healthy, tiny, tiny):  # a healthy step resets the count
        guard.end_step(module, {"train/d_loss": loss}, loss)
    with pytest.raises(DivergenceError, match="discriminator has collapsed.*below 0.01 for 3 steps"):
        guard.end_step(module, {"train/d_loss": tiny}, tiny)

    warn_only = DivergenceGuard(on_collapse="warn", collapse_patience=2)
    for _ in range(4):
        warn_only.end_step(module, {}, tiny)
    assert sum("discriminator has collapsed" in r.message for r in caplog.records) == 1


def test_the_step_end_check_agrees_across_ranks():
    """One rank's NaN stops every rank, naming the loss; a collapse needs every rank's D loss low."""
    guard, tiny = DivergenceGuard(collapse_patience=1), torch.tensor(1e-4)
    other_rank_nan = fake_module(world_size=2, other_ranks=[0.0, 1.0, 0.0])  # rank 1: g_loss non-finite
    with pytest.raises(DivergenceError, match="train/g_loss is .* at step 5"):
        guard.end_step(other_rank_nan, {"train/d_loss": tiny, "train/g_loss": tiny}, tiny, step=5)
    other_rank_healthy = fake_module(world_size=2, other_ranks=[0.0, 0.0, 0.0])  # rank 1's D loss is not low
    guard.end_step(other_rank_healthy, {"train/d_loss": tiny, "train/g_loss": tiny}, tiny)  # no collapse


def test_the_gan_step_syncs_with_the_host_once(photo_batch, monkeypatch):
    """With on_nonfinite=stop the divergence guard reads the device once per GAN step (the batched
    check), not once per loss: counted as the reads of tensor values (``tolist``, ``item``, ``bool``,
    ``float``) while the module's training_step runs, less Adam's reads of its own step counters,
    which live on the CPU and cost no device sync."""
    from tests.test_gan_module import fit, make_gan

    model, reads, counting = make_gan(), [], [False]
    model.divergence = DivergenceGuard()  # the policy a run gets from conf/train.yaml (on_nonfinite=stop)

    def adam_counter(t: torch.Tensor) -> bool:
        return any(t is s.get("step") for opt in model.trainer.optimizers for s in opt.state.values())

    for name in ("tolist", "item", "__bool__", "__float__"):
        real = getattr(torch.Tensor, name)

        def counted(self, *args, _real=real, _name=name, **kwargs):
            if counting[0] and not adam_counter(self):
                reads.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    real_step = model.training_step

    def counted_step(*args, **kwargs):
        counting[0] = True
        try:
            return real_step(*args, **kwargs)
        finally:
            counting[0] = False

    model.training_step = counted_step
    fit(model, photo_batch, steps=2)
    assert reads == ["tolist", "tolist"]  # one per step


@pytest.mark.parametrize(("gan_mode", "stops"), [("vanilla", True), ("lsgan", True), ("hinge", False)])
def test_the_default_collapse_policy_depends_on_the_gan_loss(gan_mode, stops, caplog):
    """A hinge D loss is exactly 0 on every patch whose margin is met, a healthy state: warn, don't stop."""
    module, tiny = fake_module(), torch.tensor(0.0)
    guard = DivergenceGuard(collapse_patience=2)  # on_collapse defaults to auto, as in conf/train.yaml
    guard.end_step(module, {}, tiny, gan_mode=gan_mode)
    if stops:
        with pytest.raises(DivergenceError, match="collapsed"):
            guard.end_step(module, {}, tiny, gan_mode=gan_mode)
    else:
        guard.end_step(module, {}, tiny, gan_mode=gan_mode)
        assert "discriminator has collapsed" in caplog.text
    with pytest.raises(DivergenceError):  # an explicit choice wins over the per-loss default
        strict = DivergenceGuard(on_collapse="stop", collapse_patience=1)
        strict.end_step(module, {}, tiny, gan_mode=gan_mode)


def test_the_train_config_uses_the_per_loss_default(tmp_path):
    assert compose_cfg(tmp_path).divergence.on_collapse == "auto"


def test_unknown_policies_are_refused_by_name():
    with pytest.raises(ValueError, match="divergence.on_nonfinite"):
        DivergenceGuard(on_nonfinite="ignore")
    with pytest.raises(ValueError, match="divergence.on_collapse"):
        DivergenceGuard(on_collapse="retry")
