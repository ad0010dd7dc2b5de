"""Zhang et al. 2016's colorization net: eight VGG-style conv blocks, dilated blocks 5-6, 1/4 resolution out.

The layer table follows the released training net (richzhang/colorization,
models/colorization_train_val_v2.prototxt) and the paper's Fig. 2:

| block | convs | channels | stride of the last conv | dilation | then |
|---|---|---|---|---|---|
| 1 | 2 | 64  | 2 | 1 | BatchNorm |
| 2 | 2 | 128 | 2 | 1 | BatchNorm |
| 3 | 3 | 256 | 2 | 1 | BatchNorm |
| 4 | 3 | 512 | 1 | 1 | BatchNorm |
| 5 | 3 | 512 | 1 | 2 | BatchNorm |
| 6 | 3 | 512 | 1 | 2 | BatchNorm |
| 7 | 3 | 512 | 1 | 1 | BatchNorm |
| 8 | 4x4 transposed conv (x2 up) + 2 convs | 256 | - | 1 | 1x1 conv to the outputs |

Every 3x3 conv is followed by a ReLU; each BatchNorm comes after the block's last ReLU and has no
learned scale or shift (Caffe's BatchNorm layer without a Scale layer; the next conv absorbs both).
"""

from __future__ import annotations

from torch import Tensor, nn

from colorgan.models.nets.layers import pad_to_multiple

# (convs, width in units of base_channels, stride of the last conv, dilation) for blocks 1-7
_BLOCKS = ((2, 1, 2, 1), (2, 2, 2, 1), (3, 4, 2, 1), (3, 8, 1, 1), (3, 8, 1, 2), (3, 8, 1, 2), (3, 8, 1, 1))
L_CENTER = 50.0  # the prototxt's data_l = L - 50: our normalized L (L / 50 - 1) times 50


def _conv_block(cin: int, cout: int, convs: int, stride: int, dilation: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(convs):
        s = stride if i == convs - 1 else 1
        layers += [nn.Conv2d(cin, cout, 3, stride=s, padding=dilation, dilation=dilation), nn.ReLU(inplace=True)]
        cin = cout
    return nn.Sequential(*layers, nn.BatchNorm2d(cout, affine=False))


class Zhang16Net(nn.Module):
    """L ``(B, 1, H, W)`` in [-1, 1] -> ``(B, out_channels, ceil(H/4), ceil(W/4))``; with ``in_channels=4``,
    L followed by colour hints (hint ab and mask, ``colorgan.hints``).

    ``out_channels``: the number of ab bins (logits of the colour distribution, the paper's
    classification net), or 2 for the regression variant (ab / ab_scale). ``base_channels`` scales
    every width (64 is the paper's). Inputs of any size are padded to ``stride`` inside.
    """

    stride = 8

    def __init__(self, out_channels: int = 313, base_channels: int = 64, in_channels: int = 1):
        super().__init__()
        blocks, cin = [], in_channels
        for convs, width, stride, dilation in _BLOCKS:
            blocks.append(_conv_block(cin, width * base_channels, convs, stride, dilation))
            cin = width * base_channels
        up = 4 * base_channels
        blocks.append(
            nn.Sequential(
                nn.ConvTranspose2d(cin, up, 4, stride=2, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(up, up, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(up, up, 3, padding=1),
                nn.ReLU(inplace=True),
            )
        )
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Conv2d(up, out_channels, 1)  # the prototxt's conv8_313
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        # every channel x 50: L in the prototxt's units, and the hints (within +-1) on the same scale
        out = self.head(self.blocks(pad_to_multiple(x, self.stride) * L_CENTER))
        return out[..., : -(-h // 4), : -(-w // 4)]  # the padding's share of the 1/4-resolution output cut off
