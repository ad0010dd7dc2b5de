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
def predict_ab(model: ColorizationModule, L: Tensor, working_size: int | None = None) -> Tensor:
    """ab ``(B, 2, H, W)`` for a normalized L ``(B, 1, H, W)``: the net runs on L resized to its working
    size (the size it trained at, aspect kept), and its ab is upsampled bilinearly back to ``(H, W)``."""
    return upsample_ab(net_ab(model, L, working_size), L.shape[-2:])


@torch.no_grad()
def colorize_image(model: ColorizationModule, img: Image.Image, working_size: int | None = None) -> Image.Image:
    """Colorize an RGB (or gray-as-RGB) image; the result has exactly its size and lightness."""
    rgb = torch.from_numpy(np.array(img.convert("RGB"))).permute(2, 0, 1)[None]  # (1, 3, H, W) uint8
    return Image.fromarray(colorize_frames(model, rgb, working_size)[0].numpy())


# The stages of colorize_frames, for callers that work between them (video: a temporal filter on the
# net's ab at its working size, before the upsampling).


def frames_lightness(frames: Tensor) -> Tensor:
    """Normalized L ``(N, 1, H, W)`` of RGB uint8 frames ``(N, 3, H, W)``, computed in row chunks."""
    return lightness(frames)


@torch.no_grad()
def net_ab(model: ColorizationModule, L: Tensor, working_size: int | None = None) -> Tensor:
    """The net's ab ``(N, 2, h, w)`` at its working shape (``working_shape``) for a full-size normalized L
    ``(N, 1, H, W)``, on the model's device."""
    device = next(model.parameters()).device
    h, w = L.shape[-2:]
    shape = working_shape(h, w, working_size or int(model.meta["working_size"]))
    L_net = L if shape == (h, w) else F.interpolate(L, size=shape, mode="bilinear", align_corners=False, antialias=True)
    return model(L_net.to(device)).float()


def upsample_ab(ab: Tensor, size: tuple[int, int]) -> Tensor:
    """ab ``(N, 2, h, w)`` resized bilinearly to ``size`` ``(H, W)``."""
    size = tuple(size)
    return ab if tuple(ab.shape[-2:]) == size else F.interpolate(ab, size=size, mode="bilinear", align_corners=False)


@torch.no_grad()
def compose_rgb(L: Tensor, ab: Tensor, ab_scale: float) -> Tensor:
    """RGB uint8 ``(N, H, W, 3)`` on the CPU from normalized L ``(N, 1, H, W)`` and ab ``(N, 2, H, W)``
    (Lab -> sRGB with gamut mapping at fixed L and hue), in row chunks."""
    n, _, h, w = L.shape
    out = torch.empty((n, h, w, 3), dtype=torch.uint8)
    for r in range(0, h, ROWS_PER_CHUNK):
        rows = L_ab_to_rgb(L[..., r : r + ROWS_PER_CHUNK, :], ab[..., r : r + ROWS_PER_CHUNK, :].to(L.device), ab_scale)
        out[:, r : r + ROWS_PER_CHUNK] = (rows * 255.0 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu()
    return out


@torch.no_grad()
def colorize_frames(model: ColorizationModule, frames: Tensor, working_size: int | None = None) -> Tensor:
    """Colorized RGB uint8 ``(N, H, W, 3)`` of RGB uint8 frames ``(N, 3, H, W)``; each keeps its own L."""
    L = frames_lightness(frames)  # (N, 1, H, W), full resolution
    ab = upsample_ab(net_ab(model, L, working_size), L.shape[-2:])
    return compose_rgb(L, ab, model.ab_scale)
