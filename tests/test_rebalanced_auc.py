"""Rebalanced AuC (Zhang et al. 2016): hand-computed cases, and where evaluate/compare take the prior from."""

import json

import numpy as np
import pytest
import torch

from colorgan import metrics
from colorgan.color import ab_bins
from colorgan.compare import compare
from colorgan.evaluate import evaluate
from colorgan.evaluation.scoring import GRAY
from tests.conftest import photo
from tests.test_evaluate import FAST_EVAL, compose_named, photo_folder  # noqa: F401 - a fixture


def prior_on(bins: torch.Tensor, probs: dict[tuple[int, int], float]) -> metrics.ABPrior:
    p = torch.zeros(len(bins))
    for (a, b), value in probs.items():
        p[int(((bins - torch.tensor([a, b])).abs().sum(1) == 0).nonzero())] = value
    return metrics.ABPrior(bins, p, "test")


def test_rebalanced_auc_weighs_each_pixel_by_its_inverse_prior_by_hand():
    bins = ab_bins.gamut_bins()
    prior = prior_on(bins, {(40, 20): 0.1, (0, 0): 0.4, (-20, 30): 0.5})
    ab = torch.tensor([[40.0, 1.0], [20.0, 0.0]]).view(1, 2, 1, 2)  # pixel 1 in bin (40, 20), pixel 2 in (0, 0)
    distance = torch.tensor([[[0.0, 150.5]]])  # pixel 1 exact (151 of 151 thresholds), pixel 2 beyond all
    weights = prior.pixel_weights(ab)
    torch.testing.assert_close(weights, torch.tensor([[[10.0, 2.5]]]))
    assert metrics.auc_ab(distance).item() == pytest.approx(0.5)
    assert metrics.auc_rebalanced(distance, weights).item() == pytest.approx(10 / 12.5)  # 0.8
    # a rarer colour wrong is worse than a common one wrong: swap which pixel is right
    assert metrics.auc_rebalanced(distance.flip(-1), weights).item() == pytest.approx(2.5 / 12.5)


def test_bins_the_prior_never_saw_weigh_like_the_rarest_seen():
    bins = ab_bins.gamut_bins()
    prior = prior_on(bins, {(0, 0): 0.8, (10, 0): 0.2})
    ab = torch.tensor([[0.0, 10.0, 90.0], [0.0, 0.0, -50.0]]).view(1, 2, 1, 3)
    torch.testing.assert_close(prior.pixel_weights(ab), torch.tensor([[[1.25, 5.0, 5.0]]]))


def test_a_perfect_prediction_scores_1_and_gray_less():
    rgb = torch.from_numpy(np.stack([photo(n, 48) for n in ("chelsea", "coffee")])).permute(0, 3, 1, 2) / 255.0
    bins = ab_bins.gamut_bins()
    prior = metrics.ABPrior(
        bins, ab_bins.smooth_prior(torch.rand(313, generator=torch.Generator().manual_seed(0)), bins), "t"
    )
    perfect = metrics.colorization_metrics(rgb, rgb, prior)
    torch.testing.assert_close(perfect[metrics.REBALANCED_AUC], torch.ones(2))
    from colorgan.color import gray_rgb, rgb_to_L_ab

    gray = metrics.colorization_metrics(gray_rgb(rgb_to_L_ab(rgb)[0]), rgb, prior)
    assert (gray[metrics.REBALANCED_AUC] < 0.95).all()
    assert metrics.REBALANCED_AUC not in metrics.colorization_metrics(rgb, rgb)  # no prior, no number


def test_nearest_bins_by_lattice_lookup_agree_with_brute_force():
    ab = torch.rand(2, 2, 16, 16, generator=torch.Generator().manual_seed(3)) * 280 - 140  # also far outside
    for bins in (ab_bins.gamut_bins(), ab_bins.gamut_bins() + 3.0):  # on the lattice; off it (all compared)
        found = ab_bins.nearest_bins(ab, bins)
        d2 = ((ab.permute(0, 2, 3, 1)[..., None, :] - bins) ** 2).sum(-1)  # (B, H, W, Q)
        torch.testing.assert_close(d2.gather(-1, found[..., None])[..., 0], d2.min(-1).values)


def rebalanced(record: dict, row: str) -> float:
    return record["results"][row][metrics.REBALANCED_AUC]["mean"]


def test_evaluate_uses_a_zhang16_checkpoints_prior_and_records_it(checkpoints, photo_folder, tmp_path):  # noqa: F811
    overrides = [
        f"ckpt_path={checkpoints['zhang16']}",
        f"data.root={photo_folder}",
        "split=all",
        *FAST_EVAL,
        "fid=false",
    ]
    record = evaluate(compose_named("evaluate", tmp_path, overrides))
    assert 0 < rebalanced(record, record["model"]) <= 1 and 0 < rebalanced(record, GRAY) <= 1
    assert record["notes"]["auc_rebalanced_prior"] == f"the prior of {record['model']}"
    assert "| auc_rebalanced ↑ |" in (tmp_path / "metrics.md").read_text()
    assert "auc_rebalanced" in (tmp_path / "per_image.csv").read_text().splitlines()[0]


def test_without_a_prior_it_is_skipped_by_name_and_a_prior_file_brings_it(checkpoints, photo_folder, tmp_path):  # noqa: F811
    base = [f"ckpt_path={checkpoints['gan']}", f"data.root={photo_folder}", "split=all", *FAST_EVAL, "fid=false"]
    record = evaluate(compose_named("evaluate", tmp_path / "a", base))
    assert metrics.REBALANCED_AUC not in record["results"][record["model"]]
    assert "prior_file=" in record["skipped"][metrics.REBALANCED_AUC]
    np.save(tmp_path / "prior_probs.npy", np.linspace(1, 2, 313))
    record = evaluate(compose_named("evaluate", tmp_path / "b", [*base, f"prior_file={tmp_path / 'prior_probs.npy'}"]))
    assert 0 < rebalanced(record, record["model"]) <= 1 and metrics.REBALANCED_AUC not in record["skipped"]
    assert record["notes"]["auc_rebalanced_prior"].startswith("prior_file")


def test_compare_rebalances_every_row_with_one_prior(checkpoints, photo_folder, tmp_path):  # noqa: F811
    ckpts = f"ckpts=[{checkpoints['gan']},{checkpoints['zhang16']}]"
    overrides = [ckpts, "names=[gan,zhang]", f"data.root={photo_folder}", "split=all", *FAST_EVAL, "fid=false"]
    summary = compare(compose_named("compare", tmp_path, overrides))
    assert all(metrics.REBALANCED_AUC in row for row in summary.rows.values())  # gray and gan too
    saved = json.loads((tmp_path / "comparison.json").read_text())
    assert saved["notes"]["auc_rebalanced_prior"] == "the prior of zhang"
