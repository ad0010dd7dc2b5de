"""FID and LPIPS through torchmetrics, used when their weights can be had, skipped by name otherwise.

Weights come from the usual places: online, the torch hub cache (``$TORCH_HOME/hub/checkpoints``:
torch-fidelity's ``pt_inception-2015-12-05-6726825d.pth`` for FID, torchvision's
``alexnet-owt-7be5be79.pth`` for LPIPS-alex), or for FID a configured local file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from torch import Tensor
from torchmetrics import Metric

from colorgan.errors import MissingExtra, import_extra

log = logging.getLogger(__name__)

Update = Callable[[Metric, Tensor, Tensor], None]
# FID fits a Gaussian to 2048-d Inception pool features (torchmetrics' feature=2048). With fewer images
# than dimensions the covariance estimate is rank-deficient and FID is biased upward, strongly and
# depending on the count (Chong & Forsyth, "Effectively Unbiased FID", CVPR 2020, Sec. 3); published
# FIDs use 10 000 to 50 000 images.
FID_FEATURES = 2048


def _update_fid(metric: Metric, rgb_hat: Tensor, rgb: Tensor) -> None:
    metric.update(rgb, real=True)
    metric.update(rgb_hat, real=False)


def _update_pairwise(metric: Metric, rgb_hat: Tensor, rgb: Tensor) -> None:
    metric.update(rgb_hat, rgb)


def _reason(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".replace("\n", " ")
    return text if len(text) < 300 else text[:297] + "..."


def _missing_torch_fidelity() -> str | None:
    """Why FID cannot run without its Inception code (torchmetrics takes it from torch-fidelity), or None."""
    try:
        import_extra("torch_fidelity", "fid", "FID")
    except MissingExtra as err:
        return str(err)
    return None


def perceptual_metrics(
    fid: bool = True, fid_weights: str | None = None, lpips: bool = True, lpips_net: str = "alex"
) -> tuple[dict[str, tuple[Callable[[], Metric], Update]], dict[str, str]]:
    """``({name: (make_metric, update)}, {name: why it is skipped})`` for FID and LPIPS.

    Each metric is built once here to find out whether its weights load; callers build one per model.
    Inputs are RGB in [0, 1] (``normalize=True``).
    """
    available: dict[str, tuple[Callable[[], Metric], Update]] = {}
    skipped: dict[str, str] = {}
    candidates = {}
    if not fid:
        skipped["fid"] = "disabled (fid=false)"
    elif (missing := _missing_torch_fidelity()) is not None:
        skipped["fid"] = missing
    else:
        from torchmetrics.image.fid import FrechetInceptionDistance

        make = partial(
            FrechetInceptionDistance, feature=FID_FEATURES, normalize=True, feature_extractor_weights_path=fid_weights
        )
        candidates["fid"] = (make, _update_fid)
    if lpips:
        from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

        candidates["lpips"] = (
            partial(LearnedPerceptualImagePatchSimilarity, net_type=lpips_net, normalize=True),
            _update_pairwise,
        )
    else:
        skipped["lpips"] = "disabled (lpips=false)"
    for name, (make, update) in candidates.items():
        try:
            make()
        except Exception as err:  # no weights offline, no torch-fidelity, a bad local file...
            skipped[name] = f"weights unavailable: {_reason(err)}"
        else:
            available[name] = (make, update)
    return available, skipped


def compute_or_reason(metric: Metric) -> tuple[float | None, str | None]:
    """``(value, None)``, or ``(None, why)`` when the metric cannot be computed (e.g. FID on 1 image)."""
    try:
        return float(metric.compute()), None
    except Exception as err:
        return None, f"could not compute: {_reason(err)}"


def fid_sample_warning(n_images: int) -> str | None:
    """Why an FID on ``n_images`` images must not be compared with published ones (None from 2048 on); logged."""
    if n_images >= FID_FEATURES:
        return None
    why = (
        f"FID on {n_images} images, fewer than its {FID_FEATURES} feature dimensions: biased upward by an amount "
        "that depends on the count, so comparable only with FIDs on the same number of images, not with published ones"
    )
    log.warning(why)
    return why
