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

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor
from torchvision.transforms import v2

from colorgan.data.images import (
    DRAFT_FORMATS,
    MAX_PIXELS,
    DecodeThen,
    decode_rgb,
    image_tensor,
    open_image,
    upright_size,
)

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


class ToTensor:
    """``image_tensor`` as a transform step (in place of torchvision's ``PILToTensor``)."""

    def __call__(self, img: Image.Image) -> Tensor:
        return image_tensor(img)


class RandomCropFirst:
    """Training's random resized crop, drawn from the photo's header before the photo is decoded.

    The crop is torchvision's ``RandomResizedCrop`` rule (Szegedy et al. 2015, Sec. 6): an area share
    uniform in [``min_scale``, 1] and an aspect ratio log-uniform in [3/4, 4/3], ten draws, else the
    largest centred crop of an aspect in that range; then resized to ``size`` x ``size`` (antialiased) and
    flipped at random. Drawn first, a crop can ask ``decode_rgb`` for just the scale it needs: a JPEG decodes
    at the smallest of 1, 1/2, 1/4, 1/8 that leaves the crop ``size`` pixels (a large crop of a 12 MP photo
    at 1/8), where a crop drawn after the decode must decode for the smallest possible crop.
    ``load(source)`` decodes and transforms a file (``decode`` then ``finish``, as ``images.DecodeThen``);
    calling it on a decoded image transforms that.
    """

    RATIO = (3 / 4, 4 / 3)
    TRIES = 10

    def __init__(self, size: int, min_scale: float = 0.25, flip: bool = True):
        self.size, self.min_scale, self.flip = size, min_scale, flip

    def draw(self, width: int, height: int) -> tuple[int, int, int, int]:
        """A crop ``(top, left, height, width)`` of a ``width`` x ``height`` photo, from torch's random stream."""
        log_ratio = math.log(self.RATIO[0]), math.log(self.RATIO[1])
        for _ in range(self.TRIES):
            area = width * height * torch.empty(1).uniform_(self.min_scale, 1.0).item()
            ratio = math.exp(torch.empty(1).uniform_(*log_ratio).item())
            w, h = round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))
            if 0 < w <= width and 0 < h <= height:
                top = int(torch.randint(0, height - h + 1, (1,)))
                return top, int(torch.randint(0, width - w + 1, (1,))), h, w
        ratio = min(max(width / height, self.RATIO[0]), self.RATIO[1])  # the photo's own, clamped to the range
        w, h = (width, round(width / ratio)) if width / height <= ratio else (round(height * ratio), height)
        return (height - h) // 2, (width - w) // 2, h, w

    def decode(self, img: Image.Image, source: object = "") -> tuple[Image.Image, tuple]:
        """An opened image (``open_image``) decoded at the scale its crop needs, and ``(full size, crop)`` for
        ``finish``. A format Pillow cannot decode at reduced scale is decoded whole and its crop drawn on it (no
        orientation guessed from its header: Pillow turns a TIFF upright itself)."""
        if img.format not in DRAFT_FORMATS:
            decoded = decode_rgb(img, None, source)
            return decoded, (decoded.size, self.draw(*decoded.size))
        try:
            full = upright_size(img)
            crop = self.draw(*full)
        except BaseException:
            img.close()
            raise
        side = math.ceil(min(full) * self.size / min(crop[2], crop[3]))  # the short side that leaves the crop size px
        return decode_rgb(img, side, source), (full, crop)

    def finish(self, decoded: Image.Image, plan: tuple) -> Tensor:
        """The planned crop (of the ``full``-size photo) taken from ``decoded`` (the photo at some scale),
        resized to the training square and flipped or not: uint8 ``(3, size, size)``."""
        (full_w, full_h), (top, left, h, w) = plan
        sx, sy = decoded.width / full_w, decoded.height / full_h
        top, left = min(round(top * sy), decoded.height - 1), min(round(left * sx), decoded.width - 1)
        h, w = max(1, min(round(h * sy), decoded.height - top)), max(1, min(round(w * sx), decoded.width - left))
        region = image_tensor(decoded.crop((left, top, left + w, top + h)))  # only the crop leaves Pillow
        out = v2.functional.resize(region, [self.size] * 2, antialias=True)
        return out.flip(-1) if self.flip and bool(torch.rand(1) < 0.5) else out

    def load(self, source, max_pixels: int = MAX_PIXELS) -> Tensor:
        """The training square of the image file (or file object) ``source``."""
        return self.finish(*self.decode(open_image(source, max_pixels), source))

    def __call__(self, img: Image.Image) -> Tensor:
        return self.finish(img, (img.size, self.draw(*img.size)))


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

    def train_transform(self) -> DecodeThen | RandomCropFirst:
        """File or PIL RGB -> uint8 ``(3, size, size)`` (``load`` reads a file at the scale the transform needs)."""
        if self.kind == "crop":  # the crop drawn first decides the scale
            return RandomCropFirst(self.size, self.min_scale, self.flip)
        steps: list = [ToTensor()]
        if self.kind == "squash":
            load = self.load_size or self.size
            steps.append(v2.Resize((load, load), antialias=True))
            if load > self.size:
                steps.append(v2.RandomCrop(self.size))
        else:
            steps.append(Letterbox(self.size))
        if self.flip:
            steps.append(v2.RandomHorizontalFlip())
        side = max(self.load_size or self.size, self.size) if self.kind == "squash" else self.size
        return DecodeThen(v2.Compose(steps), side)

    def eval_transform(self, size: int | None = None) -> DecodeThen:
        """Deterministic: the square scored at ``size`` (default ``eval_size``); its photos decoded keeping at
        least ``size`` pixels of their short side."""
        size = size or self.scored_size
        if self.kind == "crop":
            steps = [ToTensor(), v2.Resize(size, antialias=True), v2.CenterCrop(size)]
        elif self.kind == "squash":
            steps = [ToTensor(), v2.Resize((size, size), antialias=True)]
        else:
            steps = [ToTensor(), Letterbox(size)]
        return DecodeThen(v2.Compose(steps), size)

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
