"""Colorization metrics, per image, on RGB rebuilt from the true L and an ab (predicted or true).

Every function returns a ``(B,)`` tensor so that callers can average over a dataset, over
devices (torchmetrics ``MeanMetric``) or report per image.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

# RGB is compared in [0, 1]: PSNR and SSIM need that range stated (a wrong data_range is a classic bug).
RGB_DATA_RANGE = 1.0
COLORFULNESS_VARIANT = "hasler_susstrunk_2003_signed"


def psnr(rgb_hat: Tensor, rgb: Tensor) -> Tensor:
    """Peak signal-to-noise ratio in dB of each image, RGB in [0, 1] (data_range 1.0)."""
    return peak_signal_noise_ratio(rgb_hat.float(), rgb.float(), data_range=RGB_DATA_RANGE, reduction="none", dim=(1, 2, 3))


def ssim(rgb_hat: Tensor, rgb: Tensor) -> Tensor:
    """Structural similarity of each image (Gaussian 11x11, sigma 1.5), RGB in [0, 1]."""
    return structural_similarity_index_measure(rgb_hat.float(), rgb.float(), data_range=RGB_DATA_RANGE, reduction="none")


def l1_ab(ab_hat: Tensor, ab: Tensor, ab_scale: float) -> Tensor:
    """Mean absolute ab error of each image in Lab units (normalized ab times ``ab_scale``)."""
    return (ab_hat.float() - ab.float()).abs().mean(dim=(1, 2, 3)) * ab_scale


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
