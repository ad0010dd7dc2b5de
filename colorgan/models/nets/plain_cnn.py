"""The plain regression CNN of Wallner's "beta" colorizer (2017): conv encoder, upsampling decoder."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from colorgan.color import L_SCALE
from colorgan.models.nets.layers import pad_to_multiple

LIGHTNESS_INPUTS = ("normalized", "lab")


def _conv_relu(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.ReLU(inplace=True)]


class PlainCNN(nn.Module):
    """Defaults reproduce the article's beta network on 256x256 L:

    conv64, conv64/2, conv128, conv128/2, conv256, conv256/2, conv512, conv256, conv128,
    up, conv64, up, conv32, conv2+tanh, up. No skips and no norm: it is the baseline.

    ``lightness``: what the first conv sees: ``normalized`` (colorgan's L / 50 - 1, in [-1, 1]) or ``lab``
    (L* itself, 0 to 100, as the article's code feeds it: ``X_batch = lab_batch[:, :, :, 0]``).
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 2,
        encoder_widths: Sequence[int] = (64, 128, 256),
        middle_widths: Sequence[int] = (512, 256, 128),
        decoder_widths: Sequence[int] = (64, 32),
        lightness: str = "normalized",
    ):
        super().__init__()
        if lightness not in LIGHTNESS_INPUTS:
            raise ValueError(f"PlainCNN's lightness must be one of {', '.join(LIGHTNESS_INPUTS)}; got {lightness!r}")
        self.lightness = lightness
        if len(decoder_widths) + 1 != len(encoder_widths):
            raise ValueError("PlainCNN needs len(decoder_widths) + 1 == len(encoder_widths) (one upsample per stride)")
        layers: list[nn.Module] = []
        cin = in_channels
        for w in encoder_widths:
            layers += _conv_relu(cin, w) + _conv_relu(w, w, stride=2)
            cin = w
        for w in middle_widths:
            layers += _conv_relu(cin, w)
            cin = w
        for w in decoder_widths:
            layers += [nn.Upsample(scale_factor=2, mode="nearest")] + _conv_relu(cin, w)
            cin = w
        layers += [nn.Conv2d(cin, out_channels, 3, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.stride = 2 ** len(encoder_widths)

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]  # x: L (B, 1, H, W), or L and colour hints (in_channels=4)
        if self.lightness == "lab":  # only L is rescaled to 0..100; the hint channels keep their scale
            x = torch.cat([(x[:, :1] + 1.0) * L_SCALE, x[:, 1:]], dim=1)
        ab = F.interpolate(self.net(pad_to_multiple(x, self.stride)), scale_factor=2, mode="nearest")
        return ab[..., :h, :w]  # (B, 2, H, W)
