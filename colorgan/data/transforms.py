"""Train and validation transforms: PIL RGB image -> uint8 tensor (3, size, size).

The image becomes a tensor first: torch's antialiased uint8 resize is about twice as fast as Pillow's on the
same crop. Lab conversion is not done here: it runs batched on the training device (colorgan.color).
"""

from __future__ import annotations

from torchvision.transforms import v2


def train_transform(size: int, min_scale: float = 0.25) -> v2.Compose:
    """Random resized crop (area fraction >= ``min_scale``) and horizontal flip."""
    return v2.Compose(
        [
            v2.PILToTensor(),
            v2.RandomResizedCrop(size, scale=(min_scale, 1.0), antialias=True),
            v2.RandomHorizontalFlip(),
        ]
    )


def val_transform(size: int) -> v2.Compose:
    """Resize the short side to ``size`` and take the center square: deterministic."""
    return v2.Compose([v2.PILToTensor(), v2.Resize(size, antialias=True), v2.CenterCrop(size)])
