"""Hints a person gives: a hints.json of points or a strokes image, read into a hint map at the photo's size.

hints.json is a list of ``{"x": 120, "y": 48, "color": "#3366cc", "size": 5}``: pixel coordinates in the
photo as displayed (x to the right, y down, from 0 at the top-left pixel), a ``size`` x ``size`` square
centred there (default 1, one pixel; clipped at the photo's edges), and the colour whose Lab ab it hints
(its lightness is ignored: the result keeps the photo's own). A strokes image is an RGBA image of the
photo's size; its opaque pixels (alpha at least 128) hint their own colour's ab.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor

from colorgan.color import rgb_to_L_ab
from colorgan.errors import HintError
from colorgan.hints.maps import hint_map

OPAQUE = 128  # a strokes pixel with at least this alpha is a hint (a brush's soft edge below it is not)
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def colour_ab(colours: list[str], ab_scale: float) -> Tensor:
    """The normalized Lab ab ``(N, 2)`` of ``#rrggbb`` colours."""
    rgb = torch.tensor([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colours], dtype=torch.uint8)
    return rgb_to_L_ab(rgb.T[None, :, :, None], ab_scale)[1][0, :, :, 0].T  # as a 1 x N image


def _point(item: object, number: int, shape: tuple[int, int], source: str) -> tuple[int, int, int, str]:
    """``(x, y, size, colour)`` of hint ``number`` (from 1), checked; ``HintError`` naming it otherwise."""
    where = f"{source}: hint {number}"
    if not isinstance(item, dict) or not {"x", "y", "color"} <= set(item):
        raise HintError(f'{where} is not an object with "x", "y" and "color" (and optionally "size"): {item!r}')
    x, y, size, colour = item["x"], item["y"], item.get("size", 1), item["color"]
    for key, value in (("x", x), ("y", y), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise HintError(f"{where}: {key} must be a whole number of pixels, got {value!r}")
    if size < 1:
        raise HintError(f"{where}: size must be at least 1, got {size}")
    if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
        raise HintError(f'{where}: color must be "#rrggbb" (six hex digits), got {colour!r}')
    height, width = shape
    if not (0 <= x < width and 0 <= y < height):
        raise HintError(f"{where} at x={x}, y={y} is outside the {width}x{height} photo")
    return int(x), int(y), int(size), colour


def hints_from_points(items: object, shape: tuple[int, int], ab_scale: float, source: str = "hints") -> Tensor:
    """The hint map ``(1, 3, H, W)`` of a parsed hints.json for a photo of ``shape (H, W)``; later hints paint
    over earlier ones."""
    if not isinstance(items, list):
        raise HintError(f"{source}: expected a list of hints, got {type(items).__name__}")
    points = [_point(item, i + 1, shape, source) for i, item in enumerate(items)]
    ab = torch.zeros(1, 2, *shape)
    mask = torch.zeros(1, 1, *shape, dtype=torch.bool)
    for (x, y, size, _), value in zip(points, colour_ab([p[3] for p in points], ab_scale) if points else []):
        top, left = max(0, y - size // 2), max(0, x - size // 2)
        bottom, right = min(shape[0], y - size // 2 + size), min(shape[1], x - size // 2 + size)
        ab[0, :, top:bottom, left:right] = value[:, None, None]
        mask[0, :, top:bottom, left:right] = True
    return hint_map(ab, mask)


def hints_from_rgba(rgba: np.ndarray, ab_scale: float, source: str = "strokes") -> Tensor:
    """The hint map ``(1, 3, H, W)`` of strokes painted on a transparent ``(H, W, 4)`` uint8 layer."""
    opaque = torch.from_numpy(np.ascontiguousarray(rgba[..., 3]) >= OPAQUE)[None, None]
    if not bool(opaque.any()):
        raise HintError(f"{source}: no opaque pixel (alpha >= {OPAQUE}), so no hint: paint on a transparent layer")
    rgb = torch.from_numpy(np.ascontiguousarray(rgba[..., :3])).permute(2, 0, 1)[None]
    return hint_map(rgb_to_L_ab(rgb, ab_scale)[1], opaque)


def _read_strokes(path: Path, shape: tuple[int, int], ab_scale: float) -> Tensor:
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)  # drawn on the photo as displayed, like the photo is read
            if "A" not in img.getbands() and "transparency" not in img.info:
                raise HintError(f"{path}: a strokes image needs transparency (RGBA); got mode {img.mode}")
            rgba = np.asarray(img.convert("RGBA"))
    except (UnidentifiedImageError, OSError) as err:
        raise HintError(f"{path}: not a readable image ({err})") from None
    if rgba.shape[:2] != tuple(shape):
        h, w = rgba.shape[:2]
        raise HintError(f"{path}: the strokes image is {w}x{h}, the photo {shape[1]}x{shape[0]}: they must match")
    return hints_from_rgba(rgba, ab_scale, str(path))


def read_hints(path: str | Path, shape: tuple[int, int], ab_scale: float) -> Tensor:
    """The hint map ``(1, 3, H, W)`` of a hints.json (by its ``.json`` suffix) or a strokes image, for a photo
    of ``shape (H, W)`` and a model of ``ab_scale``; ``HintError`` naming the file and the hint otherwise."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise HintError(f"{path}: no such hints file")
    if path.suffix.lower() != ".json":
        return _read_strokes(path, shape, ab_scale)
    try:
        items = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise HintError(f"{path}: not valid JSON ({err})") from None
    return hints_from_points(items, shape, ab_scale, str(path))
