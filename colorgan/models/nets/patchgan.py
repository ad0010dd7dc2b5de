"""The pix2pix PatchGAN discriminator, conditioned on L: D(cat(L, ab)) -> patch logits."""

from __future__ import annotations

from torch import Tensor, nn

from colorgan.models.nets.layers import NormLayer, init_pix2pix_weights, norm


class PatchGAN(nn.Module):
    """``n_layers`` stride-2 4x4 convs then two stride-1 ones; n_layers=3 gives 70x70 patches.

    Outputs raw logits (no sigmoid): the GAN loss decides what they mean.
    """

    def __init__(self, in_channels: int = 3, ndf: int = 64, n_layers: int = 3, norm_layer: NormLayer = nn.BatchNorm2d):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        width = ndf
        for n in range(1, n_layers + 1):
            out = ndf * min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(width, out, 4, stride=stride, padding=1), norm(norm_layer, out), nn.LeakyReLU(0.2)]
            width = out
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
        self.net = nn.Sequential(*layers)
        init_pix2pix_weights(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)  # (B, 1, h, w) logits, one per overlapping patch
