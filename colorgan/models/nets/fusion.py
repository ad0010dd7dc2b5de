"""The fusion colorizer of Deep Koalarization (Baldassarre et al. 2017) and Wallner's "full" version.

A conv encoder on L, a frozen pretrained classifier's global embedding of the same gray image,
tiled over the encoder's output grid and fused by a 1x1 conv, then an upsampling decoder. The
decoder's stages are a parameter: Baldassarre et al.'s table (the default) and Wallner's notebook
differ in it (see ``KOALARIZATION_DECODER`` and ``WALLNER_DECODER``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from colorgan.color import gray_rgb
from colorgan.models.nets.layers import pad_to_multiple
from colorgan.models.nets.timm_models import create_timm_model

log = logging.getLogger(__name__)


def _convs(cin: int, spec: Sequence[tuple[int, int]]) -> list[nn.Module]:
    """3x3 conv + ReLU layers from ``(width, stride)`` pairs."""
    layers: list[nn.Module] = []
    for width, stride in spec:
        layers += [nn.Conv2d(cin, width, 3, stride=stride, padding=1), nn.ReLU(inplace=True)]
        cin = width
    return layers


# Both papers' encoder on L: three stride-2 convs, so the fusion grid is H/8 x W/8 x 256.
ENCODER = ((64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 1), (256, 1))
# Decoder stages: the 3x3 conv widths before each 2x upsampling; a 3x3 conv to ab + tanh, then the last
# upsampling, follow. Baldassarre et al. 2017, Table 1 (and their network_definition.py): conv 128, up,
# conv 64, conv 64, up, conv 32, conv 2 (tanh), up. Wallner 2017 ("full" notebook): conv 128, up, conv 64,
# up, conv 32, conv 16, conv 2 (tanh), up.
KOALARIZATION_DECODER = ((128,), (64, 64), (32,))
WALLNER_DECODER = ((128,), (64,), (32, 16))


class FusionNet(nn.Module):
    """Encoder (stride 8) + frozen classifier embedding, fused, then a decoder back to full size.

    The classifier (any timm model, Inception-ResNet-v2 by default as in both papers) sees the
    gray image as sRGB, resized to its own input size and normalized with its own statistics; its
    class logits are the embedding (``classifier_logits=True``: what both papers fused), or with
    False its pooled features. It stays frozen and in eval mode. ``decoder``: the conv widths of
    each upsampling stage.
    """

    def __init__(
        self,
        classifier: str = "inception_resnet_v2",
        classifier_pretrained: bool | str = False,
        classifier_logits: bool = True,
        in_channels: int = 1,
        out_channels: int = 2,
        fusion_channels: int = 256,
        decoder: Sequence[Sequence[int]] = KOALARIZATION_DECODER,
    ):
        super().__init__()
        self.encoder = nn.Sequential(*_convs(in_channels, ENCODER))
        head = {} if classifier_logits else {"num_classes": 0}
        self.classifier = create_timm_model(classifier, classifier_pretrained, **head)
        if classifier_pretrained is False:  # None: weights are loaded afterwards (from a checkpoint)
            log.warning(
                "FusionNet: classifier %r has random weights, so its embedding carries no semantics; "
                "for the real baseline set model.generator.classifier_pretrained=true or a weights file",
                classifier,
            )
        self.classifier.requires_grad_(False).eval()
        cfg = self.classifier.pretrained_cfg
        self.classifier_size = tuple(cfg["input_size"][-2:])
        self.register_buffer("mean", torch.tensor(cfg["mean"]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg["std"]).view(1, 3, 1, 1), persistent=False)
        embedding = self.classifier.num_classes if classifier_logits else self.classifier.num_features
        fused_in = ENCODER[-1][0] + embedding
        self.fuse = nn.Sequential(nn.Conv2d(fused_in, fusion_channels, 1), nn.ReLU(inplace=True))
        if len(decoder) != 3:
            raise ValueError(f"FusionNet's decoder needs 3 stages (one per stride-2 conv), got {len(decoder)}")
        layers: list[nn.Module] = []
        cin = fusion_channels
        for i, widths in enumerate(decoder):
            layers += _convs(cin, [(w, 1) for w in widths])
            cin = widths[-1]
            if i < len(decoder) - 1:
                layers.append(nn.Upsample(scale_factor=2))
        self.decoder = nn.Sequential(*layers, nn.Conv2d(cin, out_channels, 3, padding=1), nn.Tanh())  # up in forward
        self.stride = 8

    def train(self, mode: bool = True) -> FusionNet:
        super().train(mode)
        self.classifier.eval()  # frozen: its BatchNorm statistics must not drift
        return self

    @torch.no_grad()
    def embed(self, L: Tensor) -> Tensor:
        """The classifier's global embedding of the gray image: ``(B, features or classes)``."""
        rgb = F.interpolate(
            gray_rgb(L), size=self.classifier_size, mode="bilinear", align_corners=False, antialias=True
        )
        return self.classifier((rgb - self.mean) / self.std)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_channels, H, W)``: L, then hint ab and mask for a hint net -> ab ``(B, 2, H, W)``. The
        classifier sees the gray image of L alone, hints or not."""
        h, w = x.shape[-2:]
        features = self.encoder(pad_to_multiple(x, self.stride))  # (B, 256, H/8, W/8)
        emb = self.embed(x[:, :1]).to(features.dtype)[:, :, None, None].expand(-1, -1, *features.shape[-2:])
        y = self.decoder(self.fuse(torch.cat([features, emb], dim=1)))
        y = F.interpolate(y, scale_factor=2, mode="nearest")
        return y[..., :h, :w]  # (B, 2, H, W)
