"""Noticing a run that has gone wrong: NaN/Inf losses and a discriminator that has collapsed."""

from __future__ import annotations

import logging

import pytorch_lightning as pl
import torch
from torch import Tensor, nn

from colorgan.errors import DivergenceError
from colorgan.models.base import StepChecks

log = logging.getLogger(__name__)

NONFINITE_ACTIONS = ("stop", "skip", "off")
COLLAPSE_ACTIONS = ("auto", "stop", "warn", "off")
# ``on_collapse=auto``, per GAN loss. A near-zero vanilla (BCE) or least-squares D loss means D
# outputs its targets almost exactly on every patch: it has won, and training rarely recovers. The
# hinge D loss is exactly 0 on every patch whose margin is met (real > 1, fake < -1), which a
# healthy hinge GAN reaches on most patches for long stretches while G still learns from -D(fake):
# there a low loss is worth a warning, not a stop.
COLLAPSE_DEFAULTS = {"vanilla": "stop", "lsgan": "stop", "hinge": "warn"}


class DivergenceGuard(StepChecks):
    """The policy for a diverging run, checked by the modules around each optimizer step.

    ``on_nonfinite``: a NaN/Inf loss ``stop``s training (nothing more is saved, so the last
    checkpoint is the last good state) or ``skip``s that update; more than
    ``max_consecutive_skips`` skipped updates in a row stop it anyway. ``on_collapse``: a
    discriminator loss below ``collapse_loss`` for ``collapse_patience`` D steps in a row (D tells
    real from fake with ~99% confidence, and G learns nothing from it) ``stop``s or ``warn``s;
    ``auto`` chooses by GAN loss (``COLLAPSE_DEFAULTS``).
    Decisions are made on all DDP ranks at once, so the ranks never disagree about a step.
    """

    def __init__(
        self,
        on_nonfinite: str = "stop",
        max_consecutive_skips: int = 25,
        on_collapse: str = "auto",
        collapse_loss: float = 0.01,
        collapse_patience: int = 500,
    ):
        if on_nonfinite not in NONFINITE_ACTIONS:
            raise ValueError(f"divergence.on_nonfinite must be one of {', '.join(NONFINITE_ACTIONS)}")
        if on_collapse not in COLLAPSE_ACTIONS:
            raise ValueError(f"divergence.on_collapse must be one of {', '.join(COLLAPSE_ACTIONS)}")
        self.on_nonfinite = on_nonfinite
        self.max_consecutive_skips = max_consecutive_skips
        self.on_collapse = on_collapse
        self.collapse_loss = collapse_loss
        self.collapse_patience = collapse_patience
        self.skipped = 0  # in total, logged as train/skipped_updates
        self._skips_in_a_row = 0
        self._collapsed_steps = 0

    @property
    def defers(self) -> bool:
        """Whether the NaN/Inf check may wait until the step's updates are done (``stop``, ``off``):
        a stopped run writes nothing more, so a poisoned update is never saved. ``skip`` must check
        each loss before its update."""
        return self.on_nonfinite != "skip"

    def finite(self, name: str, loss: Tensor, module: pl.LightningModule) -> bool:
        """True: go on with this update. False: skip it. Raises ``DivergenceError`` to stop."""
        if self.on_nonfinite == "off":
            return True
        ok = module.trainer.strategy.reduce_boolean_decision(bool(loss.isfinite().all()), all=True)
        if ok:
            self._skips_in_a_row = 0
            return True
        return self._nonfinite(name, loss, module, module.global_step)

    def end_step(
        self,
        module: pl.LightningModule,
        losses: dict[str, Tensor],
        d_loss: Tensor | None = None,
        step: int = 0,
        gan_mode: str | None = None,
    ) -> None:
        """The checks a step can leave to its end, in one host sync (one all-reduce under DDP): each
        of ``losses`` finite (with ``stop``), and ``d_loss`` below ``collapse_loss`` on every rank.
        ``step``: the global step the losses were computed at, for the message; ``gan_mode``: the GAN
        loss, which picks the collapse policy under ``on_collapse=auto``."""
        names = list(losses) if self.on_nonfinite == "stop" else []
        watch = d_loss is not None and self.collapse_action(gan_mode) != "off"
        if not names and not watch:
            return
        flags = [~losses[name].detach().isfinite().all() for name in names]
        if watch:
            flags.append(d_loss.detach().float() < self.collapse_loss)
        counts = module.trainer.strategy.reduce(torch.stack(flags).float(), reduce_op="sum").tolist()  # the sync
        for name, ranks in zip(names, counts):
            if ranks:
                self._nonfinite(name, losses[name], module, step)
        if watch:
            self._count_collapse(counts[-1] >= module.trainer.world_size, module, gan_mode)

    def _nonfinite(self, name: str, loss: Tensor, module: pl.LightningModule, step: int) -> bool:
        """Stop (raise), or count a skipped update and return False."""
        where = f"{name} is {loss.item()} at step {step} (epoch {module.current_epoch})"
        self._skips_in_a_row += 1
        if self.on_nonfinite == "stop" or self._skips_in_a_row > self.max_consecutive_skips:
            why = "" if self.on_nonfinite == "stop" else f" after {self._skips_in_a_row - 1} skipped updates in a row"
            *rates, clip = module.stability_settings
            raise DivergenceError(
                f"training diverged: {where}{why}. Stopped without saving: checkpoints/last.ckpt holds the last "
                f"good state. Resume from it (ckpt_path=last) with a lower learning rate ({' / '.join(rates)}) "
                f"or gradient clipping ({clip}=1.0), or set divergence.on_nonfinite=skip."
            )
        self.skipped += 1
        log.warning("%s: update skipped (divergence.on_nonfinite=skip)", where)
        return False

    def snapshot(self, module: nn.Module) -> dict[str, Tensor] | None:
        """With ``skip``: a copy of the float buffers (BatchNorm statistics), taken before a step's
        forward passes, which a NaN would poison even when the update itself is skipped."""
        if self.on_nonfinite != "skip":
            return None
        return {name: b.detach().clone() for name, b in module.named_buffers() if b.is_floating_point()}

    def restore(self, module: nn.Module, snapshot: dict[str, Tensor] | None) -> None:
        if snapshot is None:
            return
        with torch.no_grad():
            for name, b in module.named_buffers():
                if name in snapshot:
                    b.copy_(snapshot[name])

    def collapse_action(self, gan_mode: str | None) -> str:
        """What a collapsed D does for this GAN loss: ``on_collapse``, or with ``auto`` its per-loss default."""
        if self.on_collapse != "auto":
            return self.on_collapse
        return COLLAPSE_DEFAULTS[gan_mode] if gan_mode is not None else "stop"

    def _count_collapse(self, low: bool, module: pl.LightningModule, gan_mode: str | None) -> None:
        """Count D steps in a row with a near-zero loss; stop or warn at ``collapse_patience``."""
        action = self.collapse_action(gan_mode)
        self._collapsed_steps = self._collapsed_steps + 1 if low else 0
        if self._collapsed_steps != self.collapse_patience:
            return
        message = (
            f"the discriminator has collapsed: its loss stayed below {self.collapse_loss} for "
            f"{self.collapse_patience} steps up to step {module.global_step} (epoch {module.current_epoch}), so it "
            "tells real from fake almost perfectly and the generator gets no useful adversarial signal. Try a lower "
            "D learning rate (model.optimizer_d.lr), fewer D layers (model.discriminator.n_layers)"
            + (", or model.gan_mode=lsgan." if gan_mode != "lsgan" else ".")
        )
        if action == "stop":
            raise DivergenceError(message + " Stopped without saving (divergence.on_collapse=warn to go on).")
        log.warning(message)
