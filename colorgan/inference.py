"""Full-resolution colorization in stages: the net sees L at its working size, the output keeps the photo's own L.

    L = frames_lightness(frames)                       # (N, 1, H, W) normalized, full resolution
    ab_small = net_ab(model, L, working_size)          # (N, 2, h, w) on the model's device
    ab = upsample_ab(ab_small, (H, W))                 # (N, 2, H, W), bilinear
    rgb = compose_rgb(L, ab, model.ab_scale)           # (N, H, W, 3) uint8, Lab -> sRGB with gamut mapping

``colorize_frames`` runs the four for a batch of video frames; ``colorize_image`` for one photo of any size,
upsampling and composing row strips so that no full-resolution ab or colour temporaries exist: a
24-megapixel photo costs its pixels and its L, not a network pass or a float copy per channel.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from colorgan.color.chunks import Scratch, for_chunks
from colorgan.color.uint8 import L_ab_to_uint8, L_ab_to_uint8_, rgb_to_L
from colorgan.data.images import image_tensor
from colorgan.errors import ConfigError
from colorgan.hints import resize_hints
from colorgan.models.colorizer import Colorizer

MAX_ASPECT = 4  # the long side seen by the net is at most this many working sizes
PRECISIONS = ("32", "bf16")


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: the GPU when there is one, else the CPU; anything else as torch spells it."""
    return torch.device(("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name)


def working_shape(h: int, w: int, working_size: int) -> tuple[int, int]:
    """The size the net runs at: short side = working size (long side capped), aspect kept."""
    scale = min(working_size / min(h, w), MAX_ASPECT * working_size / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


@torch.no_grad()
def frames_lightness(frames: Tensor) -> Tensor:
    """Normalized L ``(N, 1, H, W)`` float32 of RGB uint8 frames ``(N, 3, H, W)`` (any strides: a permuted
    ``(N, H, W, 3)`` array is fine), computed in chunks on the frames' device."""
    return rgb_to_L(frames)


@torch.no_grad()
def net_ab(
    model: Colorizer,
    L_full: Tensor,
    working_size: int | None = None,
    precision: str = "32",
    hints: Tensor | None = None,
) -> Tensor:
    """The net's ab ``(N, 2, h, w)`` on the model's device, for normalized ``L_full (N, 1, H, W)`` resized
    (antialiased) to ``working_shape``: short side ``working_size`` (default: the size it trained at).
    ``precision``: ``32``, or ``bf16`` (autocast: faster where the CPU or GPU has bf16 arithmetic, ab a
    little different; ``python -m colorgan.benchmark infer`` measures both). ``hints``: a hint map
    (``colorgan.hints``) at L's size, or any size of its aspect ratio (the demo's strokes on a preview),
    resized to the working size; only for a model trained with hints."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    device = next(model.parameters()).device
    h, w = L_full.shape[-2:]
    shape = working_shape(h, w, working_size or int(model.meta["working_size"]))
    L = L_full if shape == (h, w) else F.interpolate(L_full, size=shape, mode="bilinear", antialias=True)
    hints_net = None if hints is None else resize_hints(hints, shape).to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        ab = model(L.to(device)) if hints_net is None else model(L.to(device), hints_net)
    return ab.float()


def _source_rows(rows: slice, H: int, h: int, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """For output rows ``rows`` of a bilinear resize from ``h`` to ``H`` rows (align_corners=False, as
    ``F.interpolate`` maps them): the upper and lower source rows and the weight of the lower."""
    y = ((torch.arange(rows.start, rows.stop, device=device) + 0.5) * (h / H) - 0.5).clamp_min(0.0)
    top = y.long().clamp_max(h - 1)
    return top, (top + 1).clamp_max(h - 1), (y - top).float()


def upsample_ab(ab_small: Tensor, size: tuple[int, int], rows: slice | None = None) -> Tensor:
    """ab ``(N, 2, h, w)`` -> ``(N, 2, H, W)``, bilinear; ``rows``: only those output rows (a strip), read
    from the few source rows they need, so a photo's ab is never held at full resolution."""
    (H, W), (h, w) = size, ab_small.shape[-2:]
    rows = rows or slice(0, H)
    if h == H:
        band = ab_small[..., rows, :]
    else:
        top, bottom, weight = _source_rows(rows, H, h, ab_small.device)
        first, last = int(top[0]), int(bottom[-1]) + 1
        source = ab_small[..., first:last, :]
        band = torch.lerp(source.index_select(2, top - first), source.index_select(2, bottom - first),
                          weight.view(1, 1, -1, 1))  # fmt: skip
    return band if w == W else F.interpolate(band, size=(band.shape[-2], W), mode="bilinear")


@torch.no_grad()
def compose_rgb(L: Tensor, ab: Tensor, ab_scale: float) -> Tensor:
    """Normalized ``L (N, 1, H, W)`` and ``ab (N, 2, H, W)`` -> sRGB uint8 ``(N, H, W, 3)``: Lab -> sRGB with
    out-of-gamut colours mapped at fixed L* and hue, in chunks."""
    return L_ab_to_uint8(L, ab, ab_scale)


@torch.no_grad()
def _compose_strips(L: Tensor, ab_small: Tensor, ab_scale: float, out: Tensor) -> Tensor:
    """``upsample_ab`` then ``compose_rgb``, a chunk at a time on ``ab_small``'s device, into ``out``; the
    photo's ab exists only a strip at a time."""
    n, _, h, w = L.shape
    device = ab_small.device

    def work(i: int, rows: slice, scratch: Scratch) -> None:
        ab = upsample_ab(ab_small[i : i + 1], (h, w), rows)
        target = out[i : i + 1, rows]
        rgb = target if out.device == device else scratch.view("rgb", target.shape, torch.uint8)
        L_ab_to_uint8_(L[i : i + 1, :, rows].to(device), ab, ab_scale, rgb, scratch)
        if rgb is not target:
            target.copy_(rgb)

    for_chunks((n, h, w), device, work)
    return out


@torch.no_grad()
def colorize_frames(model: Colorizer, frames: Tensor, working_size: int | None = None, precision: str = "32") -> Tensor:
    """Colorize a batch of RGB (or gray-as-RGB) uint8 frames ``(N, 3, H, W)``: ``(N, H, W, 3)`` uint8 on the
    frames' device, each frame keeping its own full-resolution L. Memory is bounded by the batch."""
    L = frames_lightness(frames)
    return compose_frames(L, net_ab(model, L, working_size, precision), model.ab_scale)


def compose_frames(L: Tensor, ab_small: Tensor, ab_scale: float) -> Tensor:
    """sRGB uint8 ``(N, H, W, 3)`` on L's device from full-resolution ``L (N, 1, H, W)`` and the net's ``ab_small``
    at its working size, upsampled and composed a strip at a time (no full-size ab exists): what goes after a
    temporal filter on ab (``colorgan.video``)."""
    out = torch.empty(*L.shape[:1], *L.shape[2:], 3, dtype=torch.uint8, device=L.device)
    return _compose_strips(L, ab_small, ab_scale, out)


@torch.no_grad()
def predict_ab(model: Colorizer, L: Tensor, working_size: int | None = None, hints: Tensor | None = None) -> Tensor:
    """ab ``(B, 2, H, W)`` for a normalized L ``(B, 1, H, W)``: the net at its working size (with ``hints``,
    see ``net_ab``), upsampled."""
    return upsample_ab(net_ab(model, L, working_size, hints=hints), L.shape[-2:])


def _lightness_of_image(img: Image.Image, band_rows: int = 512) -> Tensor:
    """Normalized L ``(1, 1, H, W)`` of an RGB image, read a band of rows at a time: the photo's pixels are
    never copied whole (``np.array`` of a whole image goes through two full-size byte strings)."""
    w, h = img.size
    L = torch.empty(1, 1, h, w)
    for r in range(0, h, band_rows):
        band = image_tensor(img.crop((0, r, w, min(h, r + band_rows))))[None]
        rgb_to_L(band, out=L[..., r : r + band.shape[2], :])
    return L


@torch.no_grad()
def colorize_image(
    model: Colorizer,
    img: Image.Image,
    working_size: int | None = None,
    precision: str = "32",
    hints: Tensor | None = None,
) -> Image.Image:
    """Colorize an RGB (or gray-as-RGB) image; the result has exactly its size and lightness. Beyond the
    image and the result, memory holds its L (4 bytes a pixel) and the net's activations at its working size.
    ``hints``: a hint map ``(1, 3, H, W)`` of the image (``colorgan.hints.read_hints``), for a hint model."""
    L = _lightness_of_image(img if img.mode == "RGB" else img.convert("RGB"))  # (1, 1, H, W)
    ab_small = net_ab(model, L, working_size, precision, hints)
    rgb = np.empty((*L.shape[2:], 3), dtype=np.uint8)
    _compose_strips(L, ab_small, model.ab_scale, torch.from_numpy(rgb)[None])
    del L
    return Image.fromarray(rgb)
