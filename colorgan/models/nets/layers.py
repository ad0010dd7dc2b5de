"""Small pieces the nets share: padding to the net's stride, pix2pix init, optional norms."""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor, nn

NormLayer = Callable[[int], nn.Module] | None


def pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    """Pad ``(B, C, H, W)`` on the bottom/right (edge values) so H and W divide ``multiple``."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def norm(norm_layer: NormLayer, channels: int) -> nn.Module:
    """``norm_layer(channels)``, or Identity when the config says ``norm_layer: null``."""
    return nn.Identity() if norm_layer is None else norm_layer(channels)


def init_pix2pix_weights(module: nn.Module, gain: float = 0.02) -> None:
    """pix2pix's init: conv weights ~ N(0, gain), norm weights ~ N(1, gain), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
