"""Hints simulated from the true colours, as Zhang et al. 2017 train and test their user-guided net.

"Real-Time User-Guided Image Colorization with Learned Deep Priors" (SIGGRAPH 2017), Sec. 3.3, and the
reference code (richzhang/colorization-pytorch, util/util.py ``add_color_patches_rand_gt``): per image, the
number of hints is geometric with p = 1/8 (each further hint with probability 1 - p, so E = (1 - p) / p = 7
and one image in eight gets none); each is a square patch of a size uniform in 1..9 whose corner is drawn
from a normal centred on the image with a quarter of its extent as the standard deviation, clipped to the
image; the hint is the patch's mean true ab, and later patches paint over earlier ones. Batched, on the
device of the ab it is given, drawn from a ``torch.Generator`` when one is passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from colorgan.errors import ConfigError
from colorgan.hints.maps import hint_map

GEOMETRIC_P = 1 / 8  # paper Sec. 3.3; the reference's --sample_p .125 in its hint phase (scripts/train_siggraph.sh)
PATCH_SIZES = tuple(range(1, 10))  # the reference's --sample_Ps default [1, ..., 9]
LOCATION_STD = 0.25  # util.py: N((H - P + 1) / 2, (H - P + 1) / 4)
# The geometric draw is cut at this many hints: P(K > 128) = (7/8)^129, under 1e-7 (the mean moves by 3e-7).
MAX_RANDOM_HINTS = 128
_PAINT_ELEMENTS = 1 << 24  # (B, k, H, W) booleans per painting chunk: bounded memory for 500 hints


@dataclass(frozen=True)
class Patches:
    """Square hint patches of a batch: row and column of each top-left corner, side, and whether it is used,
    all ``(B, K)``; hint k of an image paints over hints 0..k-1."""

    tops: Tensor
    lefts: Tensor
    sizes: Tensor
    active: Tensor

    def first(self, n: int) -> Patches:
        """The first ``n`` patches of each image (the hint sweep reveals nested sets)."""
        return Patches(self.tops[:, :n], self.lefts[:, :n], self.sizes[:, :n], self.active[:, :n])


def _draws(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device, normal: bool) -> Tensor:
    """Standard normal or uniform draws, from ``generator`` (on its own device) or the global RNG on ``device``."""
    where = generator.device if generator is not None else device
    draw = torch.randn if normal else torch.rand
    return draw(shape, generator=generator, device=where).to(device)


def draw_patches(
    sizes: Tensor, active: Tensor, height: int, width: int, location_std: float = LOCATION_STD,
    generator: torch.Generator | None = None,
) -> Patches:  # fmt: skip
    """Corners for patches of ``sizes (B, K)``: N(centre, location_std x extent) per axis, clipped to the image."""
    sizes = sizes.clamp(1, min(height, width))
    normal = _draws((*sizes.shape, 2), generator, sizes.device, normal=True)  # (B, K, 2)
    corners = []
    for axis, extent in enumerate((height, width)):
        span = (extent - sizes + 1).double()  # positions a corner can take, as the reference counts them
        corner = span / 2 + location_std * span * normal[..., axis].double()
        corners.append(torch.minimum(corner.clamp_min(0).floor().long(), extent - sizes))
    return Patches(corners[0], corners[1], sizes, active)


def patch_means(ab: Tensor, patches: Patches) -> Tensor:
    """The mean ab ``(B, K, 2)`` over each patch, from a summed-area table (float64: exact for any size)."""
    b, _, h, w = ab.shape
    table = F.pad(ab.double().cumsum(-1).cumsum(-2), (1, 0, 1, 0)).flatten(2)  # (B, 2, (H+1)(W+1))
    t, left, s = patches.tops, patches.lefts, patches.sizes

    def at(rows: Tensor, cols: Tensor) -> Tensor:
        return table.gather(2, (rows * (w + 1) + cols)[:, None].expand(-1, 2, -1))  # (B, 2, K)

    sums = at(t + s, left + s) - at(t, left + s) - at(t + s, left) + at(t, left)
    return (sums / (s * s)[:, None]).transpose(1, 2).to(ab.dtype)


def paint_hints(ab: Tensor, patches: Patches) -> Tensor:
    """The hint map of ``patches`` on true ``ab (B, 2, H, W)``: each active patch shows its mean ab; where
    patches overlap, the later one is seen (as the reference assigns them in turn)."""
    b, _, h, w = ab.shape
    k = patches.sizes.shape[1]
    if k == 0:
        return hint_map(torch.zeros_like(ab), torch.zeros_like(ab[:, :1], dtype=torch.bool))
    owner = torch.full((b, h, w), -1, dtype=torch.long, device=ab.device)  # the last patch over each pixel
    rows, cols = torch.arange(h, device=ab.device), torch.arange(w, device=ab.device)
    chunk = max(1, _PAINT_ELEMENTS // max(1, b * h * w))
    for start in range(0, k, chunk):
        sl = slice(start, min(k, start + chunk))
        t, left, s = patches.tops[:, sl, None], patches.lefts[:, sl, None], patches.sizes[:, sl, None]
        in_rows = (rows >= t) & (rows < t + s) & patches.active[:, sl, None]  # (B, k, H)
        in_cols = (cols >= left) & (cols < left + s)  # (B, k, W)
        covered = in_rows[..., :, None] & in_cols[..., None, :]  # (B, k, H, W)
        index = torch.arange(sl.start, sl.stop, device=ab.device).view(1, -1, 1, 1)
        owner = torch.maximum(owner, torch.where(covered, index, -1).amax(dim=1))
    means = patch_means(ab, patches)  # (B, K, 2)
    picked = means.gather(1, owner.clamp_min(0).flatten(1)[..., None].expand(-1, -1, 2))  # (B, H*W, 2)
    return hint_map(picked.transpose(1, 2).reshape(b, 2, h, w), (owner >= 0)[:, None])


def geometric_counts(
    batch: int, p: float = GEOMETRIC_P, generator: torch.Generator | None = None, device: torch.device | str = "cpu"
) -> Tensor:
    """``(batch,)`` numbers of hints, geometric: P(K = k) = (1 - p)^k p for k = 0, 1, ... (mean (1 - p) / p),
    by inversion: K = floor(log U / log(1 - p)) has P(K >= k) = (1 - p)^k. Cut at ``MAX_RANDOM_HINTS``."""
    uniform = _draws((batch,), generator, torch.device(device), normal=False)
    if p >= 1:
        return torch.zeros_like(uniform, dtype=torch.long)
    counts = (uniform.clamp_min(torch.finfo(uniform.dtype).tiny).log() / math.log1p(-p)).floor().long()
    return counts.clamp_max(MAX_RANDOM_HINTS)


def simulated_patches(
    batch: int, height: int, width: int, p: float = GEOMETRIC_P, patch_sizes: tuple[int, ...] = PATCH_SIZES,
    location_std: float = LOCATION_STD, generator: torch.Generator | None = None, device: torch.device | str = "cpu",
) -> Patches:  # fmt: skip
    """The training simulation's patches (module docstring): geometric counts, sizes uniform over
    ``patch_sizes``, corners around the centre."""
    counts = geometric_counts(batch, p, generator, device)
    k = int(counts.max()) if batch else 0
    uniform = _draws((batch, k), generator, torch.device(device), normal=False)
    choice = (uniform * len(patch_sizes)).long().clamp_max(len(patch_sizes) - 1)
    sizes = torch.tensor(patch_sizes, device=device)[choice]
    active = torch.arange(k, device=device) < counts[:, None]
    return draw_patches(sizes, active, height, width, location_std, generator)


def random_hints(
    ab: Tensor, p: float = GEOMETRIC_P, patch_sizes: tuple[int, ...] = PATCH_SIZES,
    location_std: float = LOCATION_STD, generator: torch.Generator | None = None,
) -> Tensor:  # fmt: skip
    """The training simulation on true ``ab (B, 2, H, W)`` -> a hint map ``(B, 3, H, W)`` (module docstring)."""
    patches = simulated_patches(ab.shape[0], *ab.shape[-2:], p, patch_sizes, location_std, generator, ab.device)
    return paint_hints(ab, patches)


@dataclass(frozen=True)
class HintSimulation:
    """The training hints of a hint model (the ``hints`` of its config, stored in its checkpoint)."""

    p: float = GEOMETRIC_P
    patch_sizes: tuple[int, ...] = PATCH_SIZES
    location_std: float = LOCATION_STD

    def __post_init__(self) -> None:
        if not 0 < self.p <= 1:
            raise ConfigError(f"hints.p must be in (0, 1] (each further hint has probability 1 - p); got {self.p}")
        if not self.patch_sizes or any(int(s) != s or s < 1 for s in self.patch_sizes):
            raise ConfigError(f"hints.patch_sizes must be positive whole numbers; got {list(self.patch_sizes)}")
        if self.location_std <= 0:
            raise ConfigError(f"hints.location_std must be positive; got {self.location_std}")
        object.__setattr__(self, "patch_sizes", tuple(int(s) for s in self.patch_sizes))

    def __call__(self, ab: Tensor, generator: torch.Generator | None = None) -> Tensor:
        return random_hints(ab, self.p, self.patch_sizes, self.location_std, generator)
