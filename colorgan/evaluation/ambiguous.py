"""Metrics of data=ambiguous: does a colorizer average the equally likely hues of an object, or commit to one?

Per image, from the object map that every data=ambiguous batch carries (``regions``: 0 background, i + 1 an
object of ``OBJECT_CLASSES[i]``), on the Lab of the displayed RGB as every other metric:

- ``chroma_ratio``: predicted chroma / true chroma, summed over the object pixels. ~0: the desaturated mean
  of opposite hues (what MSE regression converges to); ~1: as vivid as the truth, whichever hue.
- ``mode_hit``: the share of object pixels within ``MODE_HIT_RADIUS`` CIEDE2000 of one of their class's hues
  (at the pixel's true L*): a committed, plausible colour, right or wrong for this particular object.
- ``background_delta_e2000``: mean CIEDE2000 on the background, whose colour its texture fixes: what every
  model should learn.
"""

from __future__ import annotations

import torch
from torch import Tensor

from colorgan.color import rgb_to_lab
from colorgan.data.ambiguous import BACKGROUND, OBJECT_CLASSES, ab_of
from colorgan.metrics.ciede2000 import delta_e_ciede2000

# Within 10 CIEDE2000 of a class's hue counts as a hit: less than half the distance from either hue to their
# gray mean at the classes' L* and chroma (20.3 for the disks, 23.0 for the squares; tests/test_ambiguous.py
# pins them against skimage), so an averaging prediction never hits, while the right hue at half the chroma
# (7.9 and 9.0 away) still does.
MODE_HIT_RADIUS = 10.0
NAMES = ("chroma_ratio", "mode_hit", "background_delta_e2000")
HIGHER_IS_BETTER = {"mode_hit": True, "background_delta_e2000": False}  # chroma_ratio: nearest 1 is best
NOTES = {
    "chroma_ratio": "data=ambiguous: predicted / true chroma summed over the object pixels (1: as vivid as the truth)",
    "mode_hit": f"data=ambiguous: share of object pixels within CIEDE2000 {MODE_HIT_RADIUS:g} of one of the "
    "object class's hues at the pixel's L*",
    "background_delta_e2000": "data=ambiguous: mean CIEDE2000 over the background pixels",
}


def _nearest_hue_distance(lab_hat: Tensor, lab: Tensor, regions: Tensor) -> Tensor:
    """Per pixel, the CIEDE2000 from the prediction to the nearest hue of its object class ``(B, H, W)``
    (inf on the background)."""
    nearest = torch.full(regions.shape, float("inf"), dtype=torch.float64, device=lab.device)
    for k, cls in enumerate(OBJECT_CLASSES, start=1):
        mine = regions == k
        if not mine.any():
            continue
        for hue in cls.hues:
            a, b = ab_of(cls.chroma, hue)
            candidate = torch.stack([lab[:, 0], torch.full_like(lab[:, 0], a), torch.full_like(lab[:, 0], b)], dim=1)
            distance = delta_e_ciede2000(lab_hat, candidate)
            nearest = torch.where(mine, torch.minimum(nearest, distance), nearest)
    return nearest


def ambiguous_metrics(rgb_hat: Tensor, rgb: Tensor, regions: Tensor) -> dict[str, Tensor]:
    """``NAMES`` per image ``(B,)`` for a colorization ``rgb_hat`` of the truth ``rgb`` (both ``(B, 3, H, W)``
    in [0, 1]); NaN for an image without object (or background) pixels, which the intervals leave out."""
    lab_hat, lab = rgb_to_lab(rgb_hat).double(), rgb_to_lab(rgb).double()
    regions = regions.to(lab.device)
    objects, background = (regions != BACKGROUND).double(), (regions == BACKGROUND).double()
    chroma_hat, chroma = torch.linalg.vector_norm(lab_hat[:, 1:], dim=1), torch.linalg.vector_norm(lab[:, 1:], dim=1)
    hits = (_nearest_hue_distance(lab_hat, lab, regions) <= MODE_HIT_RADIUS).double() * objects
    delta_e = delta_e_ciede2000(lab_hat, lab)
    n_objects, n_background = objects.sum(dim=(1, 2)), background.sum(dim=(1, 2))
    return {
        "chroma_ratio": (chroma_hat * objects).sum(dim=(1, 2)) / (chroma * objects).sum(dim=(1, 2)),
        "mode_hit": hits.sum(dim=(1, 2)) / n_objects,
        "background_delta_e2000": (delta_e * background).sum(dim=(1, 2)) / n_background,
    }


def region_metrics(batch: dict, rgb_hat: Tensor, rgb: Tensor) -> dict[str, Tensor]:
    """``ambiguous_metrics`` when ``batch`` carries an object map (data=ambiguous), else nothing."""
    return ambiguous_metrics(rgb_hat, rgb, batch["regions"]) if "regions" in batch else {}
