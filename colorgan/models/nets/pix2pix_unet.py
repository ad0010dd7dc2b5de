"""The classic pix2pix U-Net generator (Isola et al. 2017), unrolled into explicit levels."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from colorgan.models.nets.layers import NormLayer, init_pix2pix_weights, norm, pad_to_multiple


class Pix2PixUNet(nn.Module):
    """U-Net with ``num_downs`` stride-2 4x4 convs: 8 for "unet_256", 7 for "unet_128".

    Level i has width ``min(ngf * 2**i, ngf * 8)``; the innermost level has no norm on its down
    conv; the levels between the fourth and the innermost use dropout on their up path (pix2pix's
    only source of noise). Inputs are padded to ``2**num_downs`` and the output cropped back.
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 2,
        num_downs: int = 8,
        ngf: int = 64,
        norm_layer: NormLayer = nn.BatchNorm2d,
        dropout: float = 0.5,
    ):
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"num_downs must be >= 5, got {num_downs}")
        widths = [min(ngf * 2**i, ngf * 8) for i in range(num_downs)]
        outer = [in_channels] + widths[:-1]
        innermost = num_downs - 1
        self.stride = 2**num_downs
        self.downs, self.ups = nn.ModuleList(), nn.ModuleList()
        for i, (cin, w) in enumerate(zip(outer, widths)):
            down = [nn.LeakyReLU(0.2)] if i > 0 else []
            down.append(nn.Conv2d(cin, w, 4, stride=2, padding=1))
            if 0 < i < innermost:
                down.append(norm(norm_layer, w))
            up_in = w if i == innermost else 2 * w
            up_out = out_channels if i == 0 else cin
            up = [nn.ReLU(), nn.ConvTranspose2d(up_in, up_out, 4, stride=2, padding=1)]
            up += [nn.Tanh()] if i == 0 else [norm(norm_layer, up_out)]
            if 4 <= i < innermost and dropout > 0:
                up.append(nn.Dropout(dropout))
            self.downs.append(nn.Sequential(*down))
            self.ups.append(nn.Sequential(*up))
        init_pix2pix_weights(self)

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]  # x: L, or L and colour hints (in_channels=4)
        x = pad_to_multiple(x, self.stride)
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        x = self.ups[-1](x)
        for i in range(len(self.ups) - 2, -1, -1):
            x = self.ups[i](torch.cat([x, skips[i]], dim=1))
        return x[..., :h, :w]  # (B, 2, H, W)
