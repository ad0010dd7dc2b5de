"""The ResNet encoder of a trained ``ResNetUNet``, rebuilt without importing timm.

Training builds the encoder with timm (``features_only``: its ImageNet weights, any backbone by name). A
checkpoint already holds the weights, and importing timm costs seconds at start-up (it imports torchvision,
whose ops import ``torch._dynamo``), more than the rest of colorizing a 24 MP photo. For the plain ResNets of
He et al. 2016 (Table 1: the block and the blocks per stage), this module builds the same network with the
same module names, so the checkpoint's weights load into it strictly; ``tests/test_resnet_features.py``
checks its features against timm's. Any other backbone is still built by timm.
"""

from __future__ import annotations

from torch import Tensor, nn

# He et al. 2016, Table 1: the block and how many of them each of the four stages stacks.
_LAYOUTS = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
    "resnet152": ("bottleneck", (3, 8, 36, 3)),
}
_STAGE_WIDTHS = (64, 128, 256, 512)  # the 3x3 convolutions' width in each stage; a bottleneck outputs 4x


def plain_resnet(backbone: str) -> bool:
    """Whether ``backbone`` (a timm name, with or without a pretrained tag such as ``.a1_in1k``) is one of
    the plain ResNets this module builds."""
    return backbone.split(".", 1)[0] in _LAYOUTS


def _bn(width: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(width)


def _downsample(cin: int, cout: int, stride: int) -> nn.Sequential | None:
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), _bn(cout))


class _Basic(nn.Module):
    expansion = 1

    def __init__(self, cin: int, width: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = _bn(width)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = _bn(width)
        self.act2 = nn.ReLU(inplace=True)
        self.downsample = _downsample(cin, width, stride)

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        y = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))
        return self.act2(y + shortcut)


class _Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, width: int, stride: int):
        super().__init__()
        cout = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = _bn(width)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)  # the stride here, as timm
        self.bn2 = _bn(width)
        self.act2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = _bn(cout)
        self.act3 = nn.ReLU(inplace=True)
        self.downsample = _downsample(cin, cout, stride)

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        y = self.act2(self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x))))))
        return self.act3(self.bn3(self.conv3(y)) + shortcut)


class ResNetFeatures(nn.Module):
    """What timm's ``create_model(backbone, features_only=True)`` returns for a plain ResNet: the stem's
    activation (stride 2) and the four stages' outputs (strides 4 to 32), under timm's module names."""

    def __init__(self, backbone: str, in_channels: int = 1):
        super().__init__()
        if not plain_resnet(backbone):
            raise ValueError(f"{backbone!r} is not a plain ResNet ({', '.join(_LAYOUTS)}); build it with timm")
        kind, depths = _LAYOUTS[backbone.split(".", 1)[0]]
        block = _Basic if kind == "basic" else _Bottleneck
        self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = _bn(64)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin, self.channels = 64, [64]
        for stage, (width, depth) in enumerate(zip(_STAGE_WIDTHS, depths), start=1):
            blocks = []
            for i in range(depth):
                blocks.append(block(cin, width, 2 if i == 0 and stage > 1 else 1))
                cin = width * block.expansion
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
            self.channels.append(cin)
        self.reductions = [2, 4, 8, 16, 32]
        self._init_as_timm()

    def _init_as_timm(self) -> None:
        """timm's ResNet initialisation (``ResNet.init_weights``): He-normal convolutions (fan-out), batch
        norms at 1 and 0, and each block's last batch norm at 0 so that a block starts as its shortcut. A
        checkpoint overwrites it; a net trained from ``pretrained=None`` starts as timm's would."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for m in self.modules():
            if isinstance(m, (_Basic, _Bottleneck)):
                nn.init.zeros_((m.bn3 if isinstance(m, _Bottleneck) else m.bn2).weight)

    def forward(self, x: Tensor) -> list[Tensor]:
        x = self.act1(self.bn1(self.conv1(x)))
        features = [x]
        x = self.maxpool(x)
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = stage(x)
            features.append(x)
        return features
