"""U-Net with a timm CNN encoder (ResNet18 by default) predicting ab from L."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from colorgan.models.nets.layers import pad_to_multiple
from colorgan.models.nets.resnet_features import ResNetFeatures, plain_resnet
from colorgan.models.nets.timm_models import create_timm_model, widen_first_conv


def _conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DecoderBlock(nn.Module):
    """Upsample to the skip's size, concatenate it, two 3x3 conv-BN-ReLU."""

    def __init__(self, cin: int, skip: int, cout: int):
        super().__init__()
        self.convs = nn.Sequential(_conv_bn_relu(cin + skip, cout), _conv_bn_relu(cout, cout))

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.convs(torch.cat([x, skip], dim=1))


class ResNetUNet(nn.Module):
    """timm ``features_only`` encoder on the 1-channel L, U-Net decoder, tanh ab head.

    Decoder widths follow the encoder's own ``feature_info`` (a level's decoder width is its skip
    width), so any timm CNN backbone works by name. The last block also sees the input L.
    Inputs of any size are padded to the encoder's stride and the output cropped back.

    ``in_channels`` > 1 (L and colour hints): the encoder is built for L alone, so pretrained weights load
    as timm adapts them to one channel, and then its first conv is widened with zero weights for the rest.

    ``pretrained=None``: no download, as ``False``, and how ``load_colorizer`` rebuilds a checkpoint's net (the
    weights come from the file); a plain ResNet encoder is then built without importing timm
    (``resnet_features``: the same modules for the same weights, initialised as timm initialises them).
    """

    def __init__(
        self,
        backbone: str = "resnet18",
        pretrained: bool | str | None = False,
        in_channels: int = 1,
        out_channels: int = 2,
    ):
        super().__init__()
        if pretrained is None and plain_resnet(backbone):
            self.encoder = ResNetFeatures(backbone, in_channels)
            widths, reductions = self.encoder.channels, self.encoder.reductions
        else:
            self.encoder = create_timm_model(backbone, pretrained, features_only=True, in_chans=1)
            if in_channels > 1:
                widen_first_conv(self.encoder, in_channels)
            widths, reductions = self.encoder.feature_info.channels(), self.encoder.feature_info.reduction()
        self.stride = max(reductions)  # widths, e.g. resnet18: [64, 64, 128, 256, 512]
        blocks, cin = [], widths[-1]
        for skip in reversed(widths[:-1]):
            blocks.append(DecoderBlock(cin, skip, skip))
            cin = skip
        self.decoder = nn.ModuleList(blocks)
        self.final = DecoderBlock(cin, in_channels, max(cin // 2, 16))
        self.head = nn.Conv2d(max(cin // 2, 16), out_channels, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_channels, H, W)``: L, then hint ab and mask for a hint net -> ab ``(B, 2, H, W)``."""
        h, w = x.shape[-2:]
        x = pad_to_multiple(x, self.stride)
        features = self.encoder(x)
        y = features[-1]
        for block, skip in zip(self.decoder, reversed(features[:-1])):
            y = block(y, skip)
        y = self.final(y, x)
        return torch.tanh(self.head(y))[..., :h, :w]  # (B, 2, H, W)
