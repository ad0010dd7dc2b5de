"""Dense optical flow between frames (OpenCV's Farneback: no weights to download), warping along it, and
the forward-backward check that says where a flow can be trusted.

A flow ``(H, W, 2)`` from frame A to frame B holds, at each pixel x of A, the (dx, dy) to where x is in B.
"""

from __future__ import annotations

import cv2
import numpy as np

# Farneback's parameters as OpenCV's optical flow tutorial uses them (pyramid scale 0.5, 15 px window,
# 3 iterations, 5 px polynomial neighbourhood with sigma 1.2), with 4 levels for pans of ~15 px a frame.
FARNEBACK = dict(pyr_scale=0.5, levels=4, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)


def flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The flow ``(H, W, 2)`` float32 from gray uint8 frame ``a`` to ``b`` (both ``(H, W)``)."""
    return cv2.calcOpticalFlowFarneback(a, b, None, **FARNEBACK)


def warp(image: np.ndarray, flow_to: np.ndarray) -> np.ndarray:
    """``image`` (of frame B, ``(H, W)`` or ``(H, W, C)``) pulled onto frame A's grid by the flow A -> B:
    ``out[x] = image[x + flow_to[x]]`` (bilinear; pixels that land outside are copied from the border)."""
    h, w = flow_to.shape[:2]
    grid = np.indices((h, w), dtype=np.float32)
    map_x, map_y = grid[1] + flow_to[..., 0], grid[0] + flow_to[..., 1]
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def inside(flow_to: np.ndarray) -> np.ndarray:
    """Where the flow lands inside the other frame: ``(H, W)`` bool."""
    h, w = flow_to.shape[:2]
    grid = np.indices((h, w), dtype=np.float32)
    x, y = grid[1] + flow_to[..., 0], grid[0] + flow_to[..., 1]
    return (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)


def consistent(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Pixels of A whose flow A -> B (``forward``) is confirmed by the flow B -> A (``backward``), and that are
    off motion boundaries: ``(H, W)`` bool. The check of Sundaram et al. (ECCV 2010) with the thresholds of
    Ruder et al. (GCPR 2016, Sec. 3.2), the occlusion test Lai et al. (ECCV 2018) score the warping error with.
    """
    back = warp(backward, forward)  # B -> A flow, read where each pixel of A lands
    round_trip = np.sum((forward + back) ** 2, axis=-1)
    magnitudes = np.sum(forward**2, axis=-1) + np.sum(back**2, axis=-1)
    occluded = round_trip > 0.01 * magnitudes + 0.5
    du = np.zeros_like(forward)
    dv = np.zeros_like(forward)
    du[:, :-1] = forward[:, :-1] - forward[:, 1:]
    dv[:-1] = forward[:-1] - forward[1:]
    boundary = np.sum(du**2 + dv**2, axis=-1) > 0.01 * np.sum(forward**2, axis=-1) + 0.002
    return ~occluded & ~boundary & inside(forward)


def histogram(gray: np.ndarray, bins: int = 64) -> np.ndarray:
    """The normalized histogram of a gray uint8 frame (``bins`` bins over 0..255)."""
    counts = np.bincount((gray.reshape(-1).astype(np.int64) * bins) >> 8, minlength=bins)
    return counts / max(1, counts.sum())


def histogram_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance of two normalized histograms: 0 (equal) to 1 (disjoint)."""
    return 0.5 * float(np.abs(p - q).sum())
