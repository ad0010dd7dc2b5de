"""Train and validation transforms of square crops (``data.geometry=crop``): PIL RGB image -> uint8 tensor
(3, size, size), by ``colorgan.data.geometry``.

The image becomes a tensor before it is resized: torch's antialiased uint8 resize is about twice as fast as
Pillow's on the same crop. Lab conversion is not done here: it runs batched on the training device
(colorgan.color).
"""

from __future__ import annotations

from torchvision.transforms import v2

from colorgan.data.geometry import Geometry, RandomCropFirst


def train_transform(size: int, min_scale: float = 0.25) -> RandomCropFirst:
    """Random resized crop (area fraction >= ``min_scale``) and horizontal flip."""
    return Geometry("crop", size, min_scale=min_scale).train_transform()


def val_transform(size: int) -> v2.Compose:
    """Resize the short side to ``size`` and take the center square: deterministic."""
    return Geometry("crop", size).eval_transform()
