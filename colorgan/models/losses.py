"""GAN objectives on raw discriminator logits: vanilla (BCE), least squares, hinge."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

GAN_MODES = ("vanilla", "lsgan", "hinge")


class GANLoss(nn.Module):
    """One GAN objective, chosen by ``mode``; the D loss carries pix2pix's 0.5 factor.

    ``score`` turns logits into the number worth watching: D's probability "real" for vanilla,
    the raw mean output for lsgan (target 1 real / 0 fake) and hinge (> 0 means "real").
    """

    def __init__(self, mode: str = "vanilla"):
        super().__init__()
        if mode not in GAN_MODES:
            raise ValueError(f"gan_mode must be one of {', '.join(GAN_MODES)}; got {mode!r}")
        self.mode = mode

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        real, fake = real.float(), fake.float()
        if self.mode == "vanilla":
            loss = F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + F.binary_cross_entropy_with_logits(
                fake, torch.zeros_like(fake)
            )
        elif self.mode == "lsgan":
            loss = F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake))
        else:
            loss = F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
        return 0.5 * loss

    def generator_loss(self, fake: Tensor) -> Tensor:
        fake = fake.float()
        if self.mode == "vanilla":
            return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        if self.mode == "lsgan":
            return F.mse_loss(fake, torch.ones_like(fake))
        return -fake.mean()

    @torch.no_grad()
    def score(self, logits: Tensor) -> Tensor:
        logits = logits.float()
        return torch.sigmoid(logits).mean() if self.mode == "vanilla" else logits.mean()
