"""The per-image metric suite, pure torch on RGB batches: PSNR, SSIM, ab errors and AuC, CIEDE2000 and
colourfulness. Models validate with it and evaluation scores with it, so every number is measured one way."""

from colorgan.metrics.per_image import (
    AUC_MAX_THRESHOLD,
    CF_WEIGHT,
    COLORFULNESS_VARIANT,
    HIGHER_IS_BETTER,
    METRIC_NAMES,
    REBALANCED_AUC,
    RGB_DATA_RANGE,
    ABPrior,
    auc_ab,
    auc_rebalanced,
    colorfulness,
    colorization_metrics,
    psnr,
    ssim,
)

__all__ = [
    "AUC_MAX_THRESHOLD", "CF_WEIGHT", "COLORFULNESS_VARIANT", "HIGHER_IS_BETTER", "METRIC_NAMES", "REBALANCED_AUC",
    "RGB_DATA_RANGE", "ABPrior", "auc_ab", "auc_rebalanced", "colorfulness", "colorization_metrics", "psnr", "ssim",
]  # fmt: skip
