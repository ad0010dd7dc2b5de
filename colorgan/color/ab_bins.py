"""Zhang et al. 2016's ab pieces: quantized ab bins, soft encoding, the rebalancing prior, annealed mean.

R. Zhang, P. Isola, A. A. Efros, "Colorful Image Colorization" (ECCV 2016). Section numbers below are
the paper's. All ab values here are in Lab units (not normalized); bins are ``(Q, 2)`` tensors of ab.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

GRID = 10.0  # Sec. 2.1: "quantize the ab output space into bins with grid size 10"
SOFT_NEIGHBORS = 5  # Sec. 2.1: the 5 nearest bins (the released Caffe layer NNEncLayer uses 10)
SOFT_SIGMA = 5.0  # Sec. 2.1: Gaussian kernel, sigma = 5
PRIOR_SIGMA = 5.0  # Sec. 2.2: the empirical prior smoothed with a Gaussian, sigma = 5
PRIOR_LAMBDA = 0.5  # Sec. 2.2: mixed with the uniform distribution, lambda = 1/2
TEMPERATURE = 0.38  # Sec. 2.3: annealed mean, T = 0.38 (the deploy prototxt scales logits by 2.606 = 1/0.384)
_CHUNK = 1 << 16  # pixels per distance matrix in nearest_bins: 65536 x 313 floats = 82 MB


def _srgb_gamut_ab() -> np.ndarray:
    """ab of every colour on the sRGB cube's surface (where the chroma extremes lie) and of a coarse
    interior lattice: enough to span the convex hull of the gamut's ab projection."""
    from colorgan.color import rgb_to_lab

    v = torch.arange(256)
    u, w = (t.flatten() for t in torch.meshgrid(v, v, indexing="ij"))
    faces = []
    for channel in range(3):
        for value in (0, 255):
            planes = [u, w]
            planes.insert(channel, torch.full_like(u, value))
            faces.append(torch.stack(planes))
    inner = torch.stack([t.flatten() for t in torch.meshgrid(*[torch.arange(0, 256, 15)] * 3, indexing="ij")])
    rgb = torch.cat([*faces, inner], dim=1).to(torch.uint8)  # (3, N)
    lab = rgb_to_lab(rgb[None, :, :, None])[0, :, :, 0]
    return lab[1:].T.double().numpy()


@functools.lru_cache(maxsize=4)
def gamut_bins(grid: float = GRID) -> Tensor:
    """The in-gamut ab bins: grid points (multiples of ``grid``) whose square of half-side ``grid``
    meets the convex hull of the sRGB gamut's ab projection, sorted by (a, b).

    This rule gives exactly the paper's Q = 313 bins at grid 10 (the published pts_in_hull.npy,
    same points and order), so its prior_probs.npy lines up with them.
    """
    from scipy.spatial import ConvexHull

    ab = _srgb_gamut_ab()
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float64) * grid
    hull_points = ab[ConvexHull(ab).vertices]
    grown = (hull_points[:, None, :] + corners[None]).reshape(-1, 2)  # Minkowski sum with the square
    hull = ConvexHull(grown)
    lo, hi = np.floor(grown.min(0) / grid), np.ceil(grown.max(0) / grid)
    a, b = np.meshgrid(np.arange(lo[0], hi[0] + 1) * grid, np.arange(lo[1], hi[1] + 1) * grid, indexing="ij")
    points = np.stack([a.ravel(), b.ravel()], axis=1)
    # inside (or on) every facet: normal . x + offset <= 0
    inside = (points @ hull.equations[:, :2].T + hull.equations[:, 2] <= 1e-9).all(axis=1)
    return torch.from_numpy(points[inside]).float()


def load_bins(path: str | Path) -> Tensor:
    """Bin centres from a ``(Q, 2)`` .npy file of ab values (the paper's pts_in_hull.npy)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"model.bins_file: no such file: {path}")
    bins = np.load(path, allow_pickle=False)
    if bins.ndim != 2 or bins.shape[1] != 2 or len(bins) < 2:
        raise ValueError(f"model.bins_file: {path} holds an array of shape {bins.shape}; expected (Q, 2) ab values")
    return torch.from_numpy(bins.astype(np.float32))


def load_prior_file(path: str | Path, num_bins: int) -> Tensor:
    """A prior over the bins from a ``(Q,)`` .npy (the paper's prior_probs.npy), normalized to sum 1."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"prior file not found: {path}")
    prior = np.load(path, allow_pickle=False).astype(np.float64).reshape(-1)
    if len(prior) != num_bins:
        raise ValueError(
            f"{path} holds {len(prior)} probabilities but there are {num_bins} ab bins: a prior file belongs "
            "with the bins it was made for (model.bins_file / bins_file)"
        )
    if not np.isfinite(prior).all() or (prior < 0).any() or prior.sum() <= 0:
        raise ValueError(f"{path}: not a probability distribution (negative, non-finite or all zero)")
    return torch.from_numpy(prior / prior.sum())


def _squared_distances(ab: Tensor, bins: Tensor) -> Tensor:
    """``(P, 2)`` points against ``(Q, 2)`` bins -> ``(P, Q)`` squared distances (exact, per coordinate)."""
    ab, bins = ab.float(), bins.to(ab.device, torch.float32)
    return (ab[:, :1] - bins[:, 0]).pow(2) + (ab[:, 1:] - bins[:, 1]).pow(2)


def _lattice_lookup(flat: Tensor, bins: Tensor, grid: float) -> Tensor:
    """Nearest bin by rounding to the ``grid`` lattice when the bins lie on it (their Voronoi cells are
    then the lattice squares); -1 where the rounded point is no bin (outside the bins' region)."""
    cells = torch.round(bins.to(flat.device, torch.float32) / grid).long()  # (Q, 2)
    lo, size = cells.min(0).values, cells.max(0).values - cells.min(0).values + 1
    table = torch.full((int(size[0]), int(size[1])), -1, dtype=torch.long, device=flat.device)
    table[cells[:, 0] - lo[0], cells[:, 1] - lo[1]] = torch.arange(len(cells), device=flat.device)
    point = torch.round(flat.float() / grid).long() - lo  # (P, 2)
    inside = ((point >= 0) & (point < size)).all(dim=1)
    index = torch.full((len(flat),), -1, dtype=torch.long, device=flat.device)
    index[inside] = table[point[inside, 0], point[inside, 1]]
    return index


def nearest_bins(ab: Tensor, bins: Tensor, grid: float = GRID) -> Tensor:
    """Index of the nearest bin of each pixel: ``(B, 2, H, W)`` ab -> ``(B, H, W)`` long.

    Bins on the ``grid`` lattice (the paper's are) are looked up by rounding; other pixels and bins
    are compared with every bin, in chunks.
    """
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    on_lattice = bool((torch.round(bins / grid) * grid == bins).all())
    index = _lattice_lookup(flat, bins, grid) if on_lattice else torch.full_like(flat[:, 0], -1, dtype=torch.long)
    todo = (index < 0).nonzero().flatten()
    if len(todo):
        index[todo] = torch.cat([_squared_distances(flat[c], bins).argmin(1) for c in todo.split(_CHUNK)])
    return index.view(ab.shape[0], *ab.shape[2:])


def soft_encode(ab: Tensor, bins: Tensor, neighbors: int = SOFT_NEIGHBORS, sigma: float = SOFT_SIGMA) -> Tensor:
    """Sec. 2.1: each pixel's ab spread over its ``neighbors`` nearest bins with Gaussian weights
    ``exp(-d^2 / (2 sigma^2))``, normalized to sum 1. ``(B, 2, H, W)`` -> ``(B, Q, H, W)``."""
    n, _, h, w = ab.shape
    d2 = _squared_distances(ab.permute(0, 2, 3, 1).reshape(-1, 2), bins)  # (P, Q)
    d2_near, index = d2.topk(min(neighbors, bins.shape[0]), dim=1, largest=False)
    weights = torch.softmax(-d2_near / (2.0 * sigma**2), dim=1)  # the same as exp(...) / sum, without underflow
    encoded = torch.zeros_like(d2).scatter_(1, index, weights)
    return encoded.view(n, h, w, -1).permute(0, 3, 1, 2)


def bin_counts(ab: Tensor, bins: Tensor) -> Tensor:
    """How many pixels of ``(B, 2, H, W)`` ab fall nearest to each bin: ``(Q,)`` float64."""
    return torch.bincount(nearest_bins(ab, bins).flatten(), minlength=bins.shape[0]).double()


def smooth_prior(counts: Tensor, bins: Tensor, sigma: float = PRIOR_SIGMA) -> Tensor:
    """Sec. 2.2: the empirical distribution over bins, smoothed by a Gaussian of ``sigma`` in the ab
    plane (a mass-preserving blur of the histogram, read back at the bins) and renormalized."""
    p = counts.double() / counts.sum()
    if sigma <= 0:
        return p
    kernel = torch.exp(-_squared_distances(bins.double(), bins).double() / (2.0 * sigma**2))
    smoothed = kernel @ p
    return smoothed / smoothed.sum()


def rebalancing_weights(prior: Tensor, lam: float = PRIOR_LAMBDA) -> Tensor:
    """Sec. 2.2, eq. 4: ``w ~ ((1 - lam) p + lam / Q)^-1``, normalized so that ``sum_q p_q w_q = 1``.

    The uniform part covers the bins the prior has seen (all of them for a smoothed prior), as the
    released PriorFactor does.
    """
    p = prior.double() / prior.sum()
    seen = (p > 0).double()
    mix = (1.0 - lam) * p + lam * seen / seen.sum()
    w = torch.where(mix > 0, 1.0 / mix.clamp_min(1e-300), torch.zeros_like(mix))
    return (w / (p * w).sum()).float()


def annealed_mean(logits: Tensor, bins: Tensor, temperature: float = TEMPERATURE) -> Tensor:
    """Sec. 2.3: ab = sum_q f_T(z)_q c_q with f_T(z) = softmax(log z / T) = softmax(logits / T).

    T = 1 gives the mean of the predicted distribution, T -> 0 its mode. ``(B, Q, h, w)`` -> ``(B, 2, h, w)``.
    """
    if temperature <= 0:
        raise ValueError(f"model.temperature must be > 0, got {temperature}")
    probs = F.softmax(logits.float() / temperature, dim=1)
    return torch.einsum("bqhw,qc->bchw", probs, bins.to(probs))
