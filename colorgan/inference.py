"""Full-resolution colorization: the net sees L at its working size, the output keeps the photo's own L.

Memory is bounded by the working size for the network and by row chunks for the colour maths, so
a 24-megapixel photo costs a few hundred MB, not a network pass at 24 MP.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from colorgan.color import L_ab_to_rgb, rgb_to_L_ab
from colorgan.hints import resize_hints
from colorgan.models.base import ColorizationModule

ROWS_PER_CHUNK = 512
MAX_ASPECT = 4  # the long side seen by the net is at most this many working sizes


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: the GPU when there is one, else the CPU; anything else as torch spells it."""
    return torch.device(("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name)


def working_shape(h: int, w: int, working_size: int) -> tuple[int, int]:
    """The size the net runs at: short side = working size (long side capped), aspect kept."""
    scale = min(working_size / min(h, w), MAX_ASPECT * working_size / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


def lightness(rgb: Tensor) -> Tensor:
    """Normalized L ``(1, 1, H, W)`` of an RGB uint8 ``(1, 3, H, W)`` image, computed in row chunks."""
    return torch.cat(
        [rgb_to_L_ab(rgb[..., r : r + ROWS_PER_CHUNK, :])[0] for r in range(0, rgb.shape[-2], ROWS_PER_CHUNK)], dim=-2
    )


@torch.no_grad()
def predict_ab(
    model: ColorizationModule, L: Tensor, working_size: int | None = None, hints: Tensor | None = None
) -> Tensor:
    """ab ``(B, 2, H, W)`` for a normalized L ``(B, 1, H, W)``: the net runs on L resized to its working
    size (the size it trained at, aspect kept), and its ab is upsampled bilinearly back to ``(H, W)``.
    ``hints``: a hint map (``colorgan.hints``) at L's size, or any size of its aspect ratio (the demo's strokes
    on a preview): it is resized to the working size; only for a model trained with hints."""
    device = next(model.parameters()).device
    h, w = L.shape[-2:]
    shape = working_shape(h, w, working_size or int(model.meta["working_size"]))
    L_net = L if shape == (h, w) else F.interpolate(L, size=shape, mode="bilinear", align_corners=False, antialias=True)
    hints_net = None if hints is None else resize_hints(hints, shape).to(device)
    ab = model(L_net.to(device), hints_net).float()
    return ab if shape == (h, w) else F.interpolate(ab, size=(h, w), mode="bilinear", align_corners=False)


@torch.no_grad()
def colorize_image(
    model: ColorizationModule, img: Image.Image, working_size: int | None = None, hints: Tensor | None = None
) -> Image.Image:
    """Colorize an RGB (or gray-as-RGB) image; the result has exactly its size and lightness. ``hints``: a
    hint map ``(1, 3, H, W)`` of the image (``colorgan.hints.read_hints``; see ``predict_ab``), for a hint model."""
    rgb = torch.from_numpy(np.array(img.convert("RGB"))).permute(2, 0, 1)[None]  # (1, 3, H, W) uint8
    h, w = rgb.shape[-2:]
    L = lightness(rgb)  # (1, 1, H, W), full resolution
    ab = predict_ab(model, L, working_size, hints).cpu()  # the net at its working size, ab upsampled to (H, W)
    out = np.empty((h, w, 3), dtype=np.uint8)
    for r in range(0, h, ROWS_PER_CHUNK):
        rows = L_ab_to_rgb(L[..., r : r + ROWS_PER_CHUNK, :], ab[..., r : r + ROWS_PER_CHUNK, :], model.ab_scale)
        out[r : r + ROWS_PER_CHUNK] = (rows[0] * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(out)
