"""Colorization metrics, per image, on the RGB a user gets: true L + predicted ab, back to sRGB.

``colorization_metrics`` is the one entry point used by validation, evaluate and compare, so that
every model is measured the same way. Each value is a ``(B,)`` tensor (one number per image);
callers average over a dataset (``MeanMetric`` under DDP) or report per image.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from colorgan.color import rgb_to_lab
from colorgan.color.ab_bins import nearest_bins
from colorgan.metrics.ciede2000 import delta_e_ciede2000

# RGB is compared in [0, 1]: PSNR and SSIM need that range stated (a wrong data_range is a classic bug).
RGB_DATA_RANGE = 1.0
COLORFULNESS_VARIANT = "hasler_susstrunk_2003_signed"
AUC_MAX_THRESHOLD = 150  # Zhang et al. 2016: ab-distance thresholds 0, 1, ..., 150
# de00_cf = ΔE00 + CF_WEIGHT * |ΔCF| per image: the checkpoint-selection metric that an all-gray output cannot
# win (gray has the colourfulness gap of the whole photo, ~58 on the sample photos). The weight makes one step
# of Hasler & Suesstrunk's colourfulness scale (not / slightly / moderately / averagely / quite / highly:
# M = 0, 15, 33, 45, 59, 82; their Table 2) cost about 7-9 ΔE00, a clearly visible colour difference.
CF_WEIGHT = 0.5
METRIC_NAMES = (
    "psnr", "ssim", "l1_ab", "l2_ab", "auc", "delta_e2000", "colorfulness", "colorfulness_gt", "delta_colorfulness",
    "de00_cf",
)  # fmt: skip
REBALANCED_AUC = "auc_rebalanced"  # reported only with an ab prior (see ABPrior)
HIGHER_IS_BETTER = {
    "psnr": True, "ssim": True, "auc": True, REBALANCED_AUC: True, "l1_ab": False, "l2_ab": False,
    "delta_e2000": False, "de00_cf": False,
}  # fmt: skip


def psnr(rgb_hat: Tensor, rgb: Tensor) -> Tensor:
    """Peak signal-to-noise ratio in dB of each image, RGB in [0, 1] (data_range 1.0)."""
    return peak_signal_noise_ratio(
        rgb_hat.float(), rgb.float(), data_range=RGB_DATA_RANGE, reduction="none", dim=(1, 2, 3)
    )


def ssim(rgb_hat: Tensor, rgb: Tensor) -> Tensor:
    """Structural similarity of each image (Gaussian 11x11, sigma 1.5), RGB in [0, 1]."""
    return structural_similarity_index_measure(
        rgb_hat.float(), rgb.float(), data_range=RGB_DATA_RANGE, reduction="none"
    )


def auc_ab(distance: Tensor, max_threshold: int = AUC_MAX_THRESHOLD) -> Tensor:
    """Area under the curve of "fraction of pixels with ab distance <= t" over t = 0..max_threshold.

    ``distance``: per-pixel Euclidean ab error ``(B, H, W)`` in Lab units. Exact, without a loop: a
    pixel at distance d is within max(0, T + 1 - ceil(d)) of the T + 1 thresholds. In [0, 1].
    """
    return _hits(distance, max_threshold).mean(dim=(1, 2)) / (max_threshold + 1)


def _hits(distance: Tensor, max_threshold: int) -> Tensor:
    """How many of the thresholds 0..max_threshold each pixel's ab distance is within."""
    return (max_threshold + 1 - torch.ceil(distance.float())).clamp(0, max_threshold + 1)


@dataclass(frozen=True)
class ABPrior:
    """A prior over ab bins (``bins`` ``(Q, 2)`` in Lab units, ``probs`` ``(Q,)``) for the rebalanced AuC,
    and where it came from (recorded beside the number)."""

    bins: Tensor
    probs: Tensor
    source: str

    def pixel_weights(self, ab: Tensor) -> Tensor:
        """Each pixel's weight, ``1 / prior`` of the bin nearest its true ab ``(B, 2, H, W)``: ``(B, H, W)``.

        A bin the prior never saw (probability 0) weighs as much as the rarest seen one.
        """
        probs = self.probs.to(ab.device, torch.float64)
        inverse = 1.0 / torch.where(probs > 0, probs, probs[probs > 0].min())
        return inverse.float()[nearest_bins(ab, self.bins.to(ab.device))]


def auc_rebalanced(distance: Tensor, weights: Tensor, max_threshold: int = AUC_MAX_THRESHOLD) -> Tensor:
    """Zhang et al. 2016 (Sec. 3.1, Table 1): the AuC with every pixel weighted by the inverse prior of
    its true colour's bin (``weights`` ``(B, H, W)``), so rare colours count as much as common ones.
    Per image, in [0, 1]; 1 for a perfect prediction."""
    w = weights.float()
    return (w * _hits(distance, max_threshold)).sum(dim=(1, 2)) / w.sum(dim=(1, 2)) / (max_threshold + 1)


def colorfulness(rgb: Tensor) -> Tensor:
    """Hasler & Suesstrunk (2003) colorfulness M of each image, RGB in [0, 1] scaled to 0-255.

    The original signed opponent channels rg = R - G, yb = (R + G) / 2 - B (not the absolute
    values some re-implementations use): M = sqrt(var_rg + var_yb) + 0.3 sqrt(mu_rg^2 + mu_yb^2).
    A gray image scores 0; the paper calls ~33 "moderately" and ~59 "quite" colorful.
    """
    r, g, b = (rgb.float() * 255.0).unbind(dim=1)
    rg, yb = r - g, 0.5 * (r + g) - b
    spread = torch.sqrt(rg.var(dim=(1, 2), unbiased=False) + yb.var(dim=(1, 2), unbiased=False))
    center = torch.sqrt(rg.mean(dim=(1, 2)) ** 2 + yb.mean(dim=(1, 2)) ** 2)
    return spread + 0.3 * center


def colorization_metrics(rgb_hat: Tensor, rgb: Tensor, prior: ABPrior | None = None) -> dict[str, Tensor]:
    """Every per-image metric of a colorization ``rgb_hat`` against the truth ``rgb`` (both in [0, 1]).

    ab errors are in Lab units, measured on the Lab of the displayed (gamut-clipped) images. With an
    ab ``prior``, also the rebalanced AuC.
    """
    lab_hat, lab = rgb_to_lab(rgb_hat), rgb_to_lab(rgb)
    ab_error = lab_hat[:, 1:] - lab[:, 1:]  # (B, 2, H, W)
    distance = torch.linalg.vector_norm(ab_error, dim=1)  # (B, H, W)
    cf_hat, cf = colorfulness(rgb_hat), colorfulness(rgb)
    rebalanced = {} if prior is None else {REBALANCED_AUC: auc_rebalanced(distance, prior.pixel_weights(lab[:, 1:]))}
    delta_e = delta_e_ciede2000(lab_hat, lab).mean(dim=(1, 2))
    return {
        "psnr": psnr(rgb_hat, rgb),
        "ssim": ssim(rgb_hat, rgb),
        "l1_ab": ab_error.abs().mean(dim=(1, 2, 3)),
        "l2_ab": distance.mean(dim=(1, 2)),
        "auc": auc_ab(distance),
        "delta_e2000": delta_e,
        "colorfulness": cf_hat,
        "colorfulness_gt": cf,
        "delta_colorfulness": cf_hat - cf,
        "de00_cf": delta_e + CF_WEIGHT * (cf_hat - cf).abs(),
        **rebalanced,
    }
