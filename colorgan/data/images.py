"""Reading image files of any mode Pillow knows into upright RGB, and finding them in folders."""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import ExifTags, Image, ImageOps

from colorgan.errors import ImageRejected

log = logging.getLogger(__name__)

MAX_PIXELS = 150_000_000  # a 12 000 x 12 500 scan; Pillow itself refuses 179 MP
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_HIGH_DEPTH_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
DRAFT_FORMATS = frozenset({"JPEG", "MPO"})  # Pillow decodes these at 1/2, 1/4, 1/8 scale (MPO: a camera's JPEG)


def open_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """``Image.open`` (header only) that refuses, by name, more than ``max_pixels`` pixels."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit applies
        img = Image.open(path)
    w, h = img.size
    if w * h > max_pixels:
        img.close()
        raise ImageRejected(
            path,
            f"{w}x{h} = {w * h / 1e6:.0f} MP is above the limit of {max_pixels / 1e6:.0f} MP "
            "(data.max_image_pixels): refused as a possible decompression bomb",
        )
    return img


def _to_8bit_gray(img: Image.Image) -> Image.Image:
    """16/32-bit integer or float gray -> 8-bit gray, by the mode's range (Pillow's convert clips)."""
    arr = np.asarray(img, dtype=np.float64)
    if img.mode == "F":
        peak = 1.0 if arr.max(initial=0.0) <= 1.0 else 255.0
    else:
        peak = 65535.0
    return Image.fromarray(np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")


def to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB: alpha composited on white, palette/CMYK/16-bit converted."""
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in _ALPHA_MODES:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if img.mode in _HIGH_DEPTH_MODES:
        img = _to_8bit_gray(img)
    return img if img.mode == "RGB" else img.convert("RGB")


def upright_size(img: Image.Image) -> tuple[int, int]:
    """``(width, height)`` of an opened (not yet decoded) JPEG once its EXIF orientation is applied. (Pillow's
    TIFF reader reports, and decodes, the upright image itself.)"""
    w, h = img.size
    try:
        orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
    except (OSError, ValueError, SyntaxError):  # a broken EXIF block: exif_transpose leaves the image as is
        orientation = 1
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def decode_rgb(img: Image.Image, min_side: int | None = None, source: object = "") -> Image.Image:
    """An opened image (``open_image``) decoded as upright 8-bit RGB. ``min_side``: the short side the caller
    needs at least (see ``load_rgb``); ``source`` names the file in the log."""
    try:
        if min_side and img.format in DRAFT_FORMATS and min(img.size) >= 2 * min_side:
            scale = min(img.size) / min_side
            img.draft("RGB", (math.ceil(img.size[0] / scale), math.ceil(img.size[1] / scale)))
        img.load()  # decoded: Pillow has closed the file
    except BaseException:
        img.close()
        raise
    try:
        ImageOps.exif_transpose(img, in_place=True)  # in place: a copy costs 15% of the data path
    except (OSError, ValueError, SyntaxError) as err:  # a broken EXIF block is not a broken image
        log.debug("ignoring unreadable EXIF in %s: %s", source, err)
    return to_rgb(img)


def load_rgb(path: str | Path, min_side: int | None = None, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open an image file as upright (EXIF orientation applied) 8-bit RGB; refuse more than
    ``max_pixels`` pixels (``ImageRejected``) before decoding.

    ``min_side``: the short side the caller needs at least. A JPEG is then decoded at 1/2, 1/4 or
    1/8 scale (Pillow's draft mode: the DCT skips the detail) when that still leaves ``min_side``
    pixels, which makes a 12-megapixel photo several times cheaper to read for a 256 px crop.
    """
    return decode_rgb(open_image(path, max_pixels), min_side, path)


def image_tensor(img: Image.Image) -> torch.Tensor:
    """An 8-bit image as uint8 ``(C, H, W)`` (a channels-last view, as torchvision's ``pil_to_tensor`` returns):
    one copy out of Pillow where ``pil_to_tensor`` makes three (its bytes, joined, then into an array)."""
    # The tensor shares the memory of Pillow's (immutable) bytes: every step after it makes a new tensor, and the
    # loader's collate copies; anything that writes in place must copy first.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        flat = torch.frombuffer(img.tobytes(), dtype=torch.uint8)
    return flat.view(img.height, img.width, len(img.getbands())).permute(2, 0, 1)


class DecodeThen:
    """A transform of decoded photos, with the read it needs: ``load(source)`` decodes the file (or file object)
    keeping at least ``min_side`` pixels of its short side (``load_rgb``: a JPEG at reduced scale when the
    transform keeps no more), then transforms it; called on a decoded image, it transforms that.

    ``decode`` and ``finish`` are ``load``'s two halves (the data benchmark times them apart), as in
    ``geometry.RandomCropFirst``, whose crop, drawn before the decode, decides the scale itself."""

    def __init__(self, transform, min_side: int | None = None):
        self.transform, self.min_side = transform, min_side

    def decode(self, img: Image.Image, source: object = "") -> tuple[Image.Image, None]:
        """An opened image (``open_image``) decoded; nothing to hand on to ``finish``."""
        return decode_rgb(img, self.min_side, source), None

    def finish(self, decoded: Image.Image, plan: None = None):
        return self.transform(decoded)

    def load(self, source, max_pixels: int = MAX_PIXELS):
        return self.finish(*self.decode(open_image(source, max_pixels), source))

    def __call__(self, img: Image.Image):
        return self.transform(img)
