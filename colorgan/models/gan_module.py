"""Conditional GAN colorizer (pix2pix recipe): D on cat(L, ab), G under L1 + adversarial loss."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from pytorch_lightning.core.optimizer import LightningOptimizer
from torch import Tensor, nn

from colorgan.models.base import META_KEY, ColorizationModule, trainable
from colorgan.models.losses import GANLoss

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SchedulerFactory = Callable[..., torch.optim.lr_scheduler.LRScheduler] | None


class GANColorizer(ColorizationModule):
    """Manual optimization: per batch one D step, then one G step against the updated D.

    For the first ``pretrain_epochs`` epochs only G trains, on L1 alone (the pretraining that
    makes a ResNet U-Net GAN converge in a fraction of the time), at ``pretrain_lr`` if given.
    ``trainer.max_steps`` counts iterations (generator updates), in both phases. The LR schedulers
    describe the GAN phase: they start stepping when it starts. Every checkpoint records how many updates
    the GAN phase has had (``meta["gan_phase"]``): 0 means an L1-only generator, not yet a GAN.
    """

    # Lightning refuses trainer.gradient_clip_val under manual optimization: the GAN clips its own
    stability_settings = ("model.optimizer_g.lr", "model.optimizer_d.lr", "model.gradient_clip_val")

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        optimizer_g: OptimizerFactory,
        optimizer_d: OptimizerFactory,
        scheduler_g: SchedulerFactory = None,
        scheduler_d: SchedulerFactory = None,
        gan_mode: str = "vanilla",
        lambda_l1: float = 100.0,
        pretrain_epochs: int = 0,
        pretrain_lr: float | None = None,
        gradient_clip_val: float | None = None,
        **common,
    ):
        super().__init__(generator, **common)  # ab_scale, channels_last, inference_norm...: ColorizationModule
        self.automatic_optimization = False
        self.discriminator = discriminator
        self.gan_loss = GANLoss(gan_mode)
        self.optimizer_g, self.optimizer_d = optimizer_g, optimizer_d
        self.scheduler_g, self.scheduler_d = scheduler_g, scheduler_d
        self.lambda_l1 = lambda_l1
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.gradient_clip_val = gradient_clip_val
        self.gan_steps = 0  # generator updates under the adversarial loss (checkpointed in the meta)

    def configure_optimizers(self):
        opt_g = self.optimizer_g(params=trainable(self.generator))
        opt_d = self.optimizer_d(params=trainable(self.discriminator))
        schedulers = [
            s(optimizer=o) for s, o in ((self.scheduler_g, opt_g), (self.scheduler_d, opt_d)) if s is not None
        ]
        return [opt_g, opt_d], schedulers

    def trained_nets(self) -> list[nn.Module]:
        return [self.generator, self.discriminator]

    @property
    def pretraining(self) -> bool:
        return self.current_epoch < self.pretrain_epochs

    def discriminate(self, L: Tensor, ab: Tensor) -> Tensor:
        return self.discriminator(torch.cat([L, ab.to(L.dtype)], dim=1))  # (B, 1, h, w) logits

    def _update(self, optimizer: LightningOptimizer, loss: Tensor, counted: bool = True) -> None:
        self.toggle_optimizer(optimizer)
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)  # clipping happens in on_before_optimizer_step, inside the step
        if counted:
            optimizer.step()
        else:
            # Lightning counts every manual optimizer step as a global step (pytorch-lightning
            # issue #17958), which would halve trainer.max_steps for a GAN. Stepping through the
            # strategy keeps precision plugins and grad scaling, and leaves the counter alone.
            self.trainer.strategy.optimizer_step(optimizer.optimizer, closure=lambda: None, model=self)
        self.untoggle_optimizer(optimizer)

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # Lightning's precision plugin calls this inside each optimizer step, after a 16-mixed
        # GradScaler has unscaled the gradients. Clipping right after manual_backward, as Lightning's
        # manual-optimization example does, would clip the scaled ones (pytorch-lightning #18089).
        if self.gradient_clip_val:
            self.clip_gradients(optimizer, gradient_clip_val=self.gradient_clip_val, gradient_clip_algorithm="norm")

    def training_step(self, batch: dict, batch_idx: int) -> None:
        # Host syncs: with divergence.on_nonfinite=stop (the default) the losses and the D-collapse
        # test are checked once, after both updates (DivergenceGuard.end_step); skip checks each
        # loss before its update.
        opt_g, opt_d = self.optimizers()
        step = self.global_step
        buffers = self.divergence.snapshot(self)
        L, ab, hints = self.split_batch(batch)  # hints: simulated for a hint model, else None
        ab_hat = self(L, hints)
        l1 = F.l1_loss(ab_hat.float(), ab)
        if self.pretraining:
            if self.divergence.defers or self.divergence.finite("train/g_l1", l1, self):
                self._update(opt_g, l1)
            else:
                self.divergence.restore(self, buffers)
            self.log("train/g_l1", l1, prog_bar=True)
            self.divergence.end_step(self, {"train/g_l1": l1}, step=step)
            return

        real, fake = self.discriminate(L, ab), self.discriminate(L, ab_hat.detach())
        d_loss = self.gan_loss.discriminator_loss(real, fake)
        if self.divergence.defers or self.divergence.finite("train/d_loss", d_loss, self):
            self._update(opt_d, d_loss, counted=False)

        g_adv = self.gan_loss.generator_loss(self.discriminate(L, ab_hat))
        g_loss = g_adv + self.lambda_l1 * l1
        if self.divergence.defers or self.divergence.finite("train/g_loss", g_loss, self):
            self._update(opt_g, g_loss)
            self.gan_steps += 1
        else:
            self.divergence.restore(self, buffers)
        self.log_dict(
            {
                "train/g_loss": g_loss,
                "train/g_adv": g_adv,
                "train/d_loss": d_loss,
                "train/d_real": self.gan_loss.score(real),
                "train/d_fake": self.gan_loss.score(fake),
            }
        )
        self.log("train/g_l1", l1, prog_bar=True)
        if self.divergence.skipped:
            self.log("train/skipped_updates", float(self.divergence.skipped))
        losses = {"train/d_loss": d_loss, "train/g_loss": g_loss}
        self.divergence.end_step(self, losses, d_loss, step=step, gan_mode=self.gan_loss.mode)

    def on_train_epoch_start(self) -> None:
        """Switch G to ``pretrain_lr`` while pretraining, and back once, when the GAN phase starts: from
        then on the rate belongs to the scheduler (setting it every epoch would cancel its decay)."""
        if self.pretrain_lr is None:
            return
        for group in self.optimizers()[0].param_groups:  # the GAN rate is kept in the group (checkpointed)
            if self.pretraining:
                group.setdefault("gan_lr", group["lr"])
                group["lr"] = self.pretrain_lr
            elif "gan_lr" in group:
                group["lr"] = group.pop("gan_lr")

    def on_train_epoch_end(self) -> None:
        schedulers = self.lr_schedulers()  # stepped by hand: manual optimization skips Lightning's stepping
        if schedulers is None or self.pretraining:
            return
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
            scheduler.step()

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        self.meta["gan_phase"] = {"pretrain_epochs": self.pretrain_epochs, "gan_steps": self.gan_steps}
        super().on_save_checkpoint(checkpoint)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        """A resumed run keeps counting its GAN-phase updates."""
        self.gan_steps = int(((checkpoint.get(META_KEY) or {}).get("gan_phase") or {}).get("gan_steps", 0))
