"""Which ab prior rebalances the AuC of an evaluation: one prior for every row of a table.

``prior_file=`` (with ``bins_file=`` when its bins are not the 313 in-gamut ones) wins; otherwise
the first zhang16 checkpoint's own prior. Without either, the rebalanced AuC is skipped by name.
"""

from __future__ import annotations

import logging

import torch

from colorgan.color import ab_bins
from colorgan.metrics import REBALANCED_AUC, ABPrior
from colorgan.models.colorizer import BinColorizer, Colorizer

log = logging.getLogger(__name__)
NO_PRIOR = (
    "no ab prior at hand: evaluate a zhang16 checkpoint, or pass prior_file=/path/prior_probs.npy "
    "(and bins_file=/path/pts_in_hull.npy when its bins are not the 313 in-gamut ones)"
)


def evaluation_prior(
    models: dict[str, Colorizer], prior_file: str | None = None, bins_file: str | None = None
) -> tuple[ABPrior | None, dict[str, str]]:
    """``(prior, {})``, or ``(None, {"auc_rebalanced": why})`` when there is none."""
    if prior_file:
        bins = ab_bins.load_bins(bins_file) if bins_file else ab_bins.gamut_bins()
        probs = ab_bins.load_prior_file(prior_file, bins.shape[0])
        return ABPrior(bins, probs.float(), f"prior_file {prior_file}"), {}
    owners = [(name, m) for name, m in models.items() if isinstance(m, BinColorizer) and m.has_prior]
    if not owners:
        return None, {REBALANCED_AUC: NO_PRIOR}
    name, first = owners[0]
    for other, model in owners[1:]:
        same = model.bins.shape == first.bins.shape and torch.equal(model.bins, first.bins)
        if not (same and torch.allclose(model.prior, first.prior)):
            log.warning("rebalanced AuC: every row uses the prior of %s; %s has another one", name, other)
    return ABPrior(first.bins.cpu(), first.prior.cpu(), f"the prior of {name}"), {}
