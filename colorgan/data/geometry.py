"""How a photo of any shape becomes the square a model trains and is scored on: one rule for both.

Three kinds, after the papers' own data code:
- ``crop``: train on a random resized crop (area >= ``min_scale``), score the centre square of the photo
  resized to ``eval_size`` on its short side (aspect kept). colorgan's default.
- ``squash``: resize the whole photo to ``load_size`` x ``load_size`` (aspect not kept) and take a random
  ``size`` crop to train; score the photo resized to ``eval_size`` x ``eval_size``. pix2pix's
  ``resize_and_crop`` (load 286, crop 256; at test load_size = crop_size, so a plain 256 resize), Zhang et
  al. 2016 (random 176 crops of 256x256 images; the net scores the whole 256x256 image), the ResNet U-Net
  tutorial (256x256, no crop).
- ``letterbox``: fit the whole photo inside the square, aspect kept, and pad it with white; the same at
  train and test time. Deep Koalarization (dataset/resize.py: resizeimage's ``resize_contain``).
``flip``: a random horizontal flip at train time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch.nn.functional as F
from torch import Tensor
from torchvision.transforms import v2

KINDS = ("crop", "squash", "letterbox")
LETTERBOX_FILL = 255  # resizeimage's resize_contain pads with (255, 255, 255, 0): white once converted to RGB


class Letterbox:
    """Fit a uint8 ``(3, H, W)`` image inside ``size`` x ``size`` (aspect kept) and pad it centred with
    ``fill``; the offset rounds up on the left and top, as resize_contain places the photo."""

    def __init__(self, size: int, fill: int = LETTERBOX_FILL):
        self.size, self.fill = size, fill

    def __call__(self, img: Tensor) -> Tensor:
        h, w = img.shape[-2:]
        scale = self.size / max(h, w)
        new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
        img = v2.functional.resize(img, [new_h, new_w], antialias=True)
        top, left = math.ceil((self.size - new_h) / 2), math.ceil((self.size - new_w) / 2)
        pad = (left, self.size - new_w - left, top, self.size - new_h - top)
        return F.pad(img, pad, value=self.fill)


@dataclass(frozen=True)
class Geometry:
    """The train and evaluation transforms of one data configuration (PIL RGB -> uint8 ``(3, S, S)``).

    ``size``: the training square (``data.image_size``); ``load_size`` (squash): the square the photo is
    resized to before the random ``size`` crop (default ``size``: no crop); ``eval_size``: the square that
    validation, test and evaluation score (default ``size``).
    """

    kind: str = "crop"
    size: int = 256
    load_size: int | None = None
    eval_size: int | None = None
    min_scale: float = 0.25
    flip: bool = True

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"data.geometry must be one of {', '.join(KINDS)}; got {self.kind!r}")
        if self.kind == "squash" and self.load_size is not None and self.load_size < self.size:
            raise ValueError(f"data.load_size ({self.load_size}) must be at least data.image_size ({self.size})")

    @property
    def scored_size(self) -> int:
        return self.eval_size or self.size

    def train_transform(self) -> v2.Compose:
        steps: list = [v2.PILToTensor()]
        if self.kind == "crop":
            steps.append(v2.RandomResizedCrop(self.size, scale=(self.min_scale, 1.0), antialias=True))
        elif self.kind == "squash":
            load = self.load_size or self.size
            steps.append(v2.Resize((load, load), antialias=True))
            if load > self.size:
                steps.append(v2.RandomCrop(self.size))
        else:
            steps.append(Letterbox(self.size))
        if self.flip:
            steps.append(v2.RandomHorizontalFlip())
        return v2.Compose(steps)

    def eval_transform(self, size: int | None = None) -> v2.Compose:
        """Deterministic: the square scored at ``size`` (default ``eval_size``)."""
        size = size or self.scored_size
        if self.kind == "crop":
            return v2.Compose([v2.PILToTensor(), v2.Resize(size, antialias=True), v2.CenterCrop(size)])
        if self.kind == "squash":
            return v2.Compose([v2.PILToTensor(), v2.Resize((size, size), antialias=True)])
        return v2.Compose([v2.PILToTensor(), Letterbox(size)])

    def train_decode_side(self) -> int:
        """The short side a photo must keep when decoded at reduced scale for training (see ``load_rgb``)."""
        if self.kind == "crop":  # the smallest random crop (area min_scale) still gets size pixels
            return math.ceil(self.size / math.sqrt(self.min_scale))
        return max(self.load_size or self.size, self.size) if self.kind == "squash" else self.size

    def describe(self, size: int | None = None) -> str:
        """What the evaluation transform does, for people (metrics.md, metrics.json)."""
        size = size or self.scored_size
        return {
            "crop": f"short side resized to {size}, centre {size}x{size} crop",
            "squash": f"resized to {size}x{size} (aspect not kept, no crop)",
            "letterbox": f"fitted inside {size}x{size}, aspect kept, padded with white",
        }[self.kind]

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict) -> Geometry:
        return cls(**{k: record[k] for k in cls.__dataclass_fields__ if k in record})
