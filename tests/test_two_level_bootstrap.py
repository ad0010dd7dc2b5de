"""Intervals that include the seeds, and the rebalanced AuC pooled over pixels: hand-made cases."""

import numpy as np
import pytest
import torch

from colorgan import metrics
from colorgan.color import ab_bins
from colorgan.evaluation.bootstrap import bootstrap_intervals
from colorgan.evaluation.report import write_per_image_csv
from colorgan.evaluation.scoring import GRAY, Evaluation
from colorgan.evaluation.summary import summarize

N = 40


def evaluation_of(per_image: dict[str, dict[str, torch.Tensor]]) -> Evaluation:
    paths = [f"img{i}.png" for i in range(N)]
    return Evaluation(per_image, paths, {k: {} for k in per_image}, {}, np.zeros((1, 1, 3), np.uint8))


@pytest.fixture(scope="module")
def seeds() -> Evaluation:
    """One model trained with four seeds: per-image values = a shared image effect + the seed's own offset.
    Seeds 0 and 1 are one row (means 0 and 2 apart from the image effect), seeds 2 and 3 another."""
    generator = torch.Generator().manual_seed(0)
    image = torch.randn(N, generator=generator, dtype=torch.float64)  # images spread less than the seeds do
    offsets = {"a0": 0.0, "a1": 2.0, "b0": 0.4, "b1": 1.8}
    per_image = {GRAY: {"psnr": image - 3.0}}
    per_image |= {k: {"psnr": image + v + 0.05 * torch.randn(N, generator=generator)} for k, v in offsets.items()}
    return evaluation_of(per_image)


@pytest.fixture(scope="module")
def merged(seeds):
    return summarize(seeds, {"a": ["a0", "a1"], "b": ["b0", "b1"]}, "a", resamples=1000)


def test_a_merged_row_is_at_least_as_wide_as_the_gap_between_its_seeds(seeds, merged):
    row = merged.rows["a"]["psnr"]
    means = [float(seeds.per_image[k]["psnr"].mean()) for k in ("a0", "a1")]
    low, high = row["ci95"]
    assert high - low >= abs(means[1] - means[0]) and low <= min(means) and max(means) <= high
    assert row["n_seeds"] == 2 and row["over"] == ["seeds", "images"]
    assert row["std_seeds"] == pytest.approx(np.std(means, ddof=1), rel=1e-6)


def test_two_rows_that_differ_only_by_seed_are_not_significantly_different(seeds, merged):
    difference = merged.differences["b"]["psnr"]
    assert difference["mean"] == pytest.approx(0.1, abs=0.05) and difference["over"] == ["seeds", "images"]
    low, high = difference["ci95"]
    assert low < 0 < high  # the image bootstrap alone: about [0.08, 0.12], "significant" on training noise
    images_only = bootstrap_intervals(
        {
            "d": (
                seeds.per_image["b0"]["psnr"]
                + seeds.per_image["b1"]["psnr"]
                - seeds.per_image["a0"]["psnr"]
                - seeds.per_image["a1"]["psnr"]
            )
            / 2
        }
    )
    assert images_only["d"].low > 0  # what the table printed before: the seeds' noise called an effect


def test_single_seed_rows_keep_the_image_bootstrap_and_say_so(seeds):
    summary = summarize(seeds, {"a": ["a0"], "b": ["b0"]}, "a", resamples=500, seed=3)
    alone = bootstrap_intervals({"psnr": seeds.per_image["a0"]["psnr"]}, resamples=500, seed=3)["psnr"]
    assert summary.rows["a"]["psnr"]["ci95"] == [alone.low, alone.high] and summary.rows["a"]["psnr"]["over"] == [
        "images"
    ]
    assert "std_seeds" not in summary.rows["a"]["psnr"] and summary.differences["b"]["psnr"]["over"] == ["images"]


def test_per_image_csv_has_every_seed_on_every_image(seeds, tmp_path):
    groups = {"a": ["a0", "a1"], "b": ["b0", "b1"]}
    rows = {r: {"checkpoints": [{"path": f"{k}.ckpt"} for k in members]} for r, members in groups.items()}
    write_per_image_csv(tmp_path / "p.csv", seeds, groups, rows)
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0].startswith("model,seed,checkpoint,path,psnr") and len(lines) == 1 + 5 * N
    assert lines[1 + N + N].startswith("a,1,a1.ckpt,img0.png,")  # gray, a seed 0, then a seed 1


def test_the_rebalanced_auc_is_pooled_over_pixels_not_averaged_over_images():
    """A nearly gray photo (its pixels weigh 1 each) scoring 0.9 and a colourful one (weights 9) scoring 0.5:
    pooled over their pixels (Zhang et al. 2016) the AuC is (100 * 0.9 + 900 * 0.5) / 1000 = 0.54, not 0.7."""
    value = torch.tensor([0.9, 0.5] * (N // 2), dtype=torch.float64)
    weight = torch.tensor([100.0, 900.0] * (N // 2), dtype=torch.float64)
    per_image = {k: {metrics.REBALANCED_AUC: value, metrics.REBALANCED_WEIGHT: weight} for k in (GRAY, "m")}
    summary = summarize(evaluation_of(per_image), resamples=200)
    row = summary.rows["m"][metrics.REBALANCED_AUC]
    assert row["mean"] == pytest.approx(0.54) and metrics.REBALANCED_WEIGHT not in summary.rows["m"]
    assert float(metrics.pooled_mean(value, weight)) == pytest.approx(0.54)


def test_each_image_carries_its_pixels_weight_sum_for_pooling():
    grid = ab_bins.gamut_bins()  # a prior with all its mass on two bins
    probs = torch.zeros(len(grid))
    probs[int(((grid - torch.tensor([0.0, 0.0])).abs().sum(1) == 0).nonzero())] = 0.8
    probs[int(((grid - torch.tensor([40.0, 20.0])).abs().sum(1) == 0).nonzero())] = 0.2
    prior = metrics.ABPrior(grid, probs, "test")
    gray = torch.full((1, 3, 16, 16), 0.5)  # every pixel in the (0, 0) bin: weight 1 / 0.8
    scores = metrics.colorization_metrics(gray, gray, prior)
    assert scores[metrics.REBALANCED_WEIGHT].item() == pytest.approx(256 / 0.8, rel=1e-5)
    assert scores[metrics.REBALANCED_AUC].item() == pytest.approx(1.0)


def test_validation_logs_the_pooled_rebalanced_auc(photo_batch):
    from tests.test_zhang16 import make_colorizer

    model = make_colorizer()
    gray_bin = int((model.bins.abs().sum(1) == 0).nonzero())
    model.prior.fill_(0.1 / (len(model.bins) - 1))
    model.prior[gray_bin] = 0.9  # gray pixels are common: they weigh little
    batch = {"rgb": photo_batch["rgb"].clone()}
    batch["rgb"][0] = batch["rgb"][0].float().mean(0, keepdim=True).round().byte()  # a gray photo among colour ones
    with torch.no_grad():
        model.validation_step(batch, 0)
        L, ab, _ = model.split_batch(batch)
        scores = metrics.colorization_metrics(model.to_rgb(L, model(L)), model.to_rgb(L, ab), model.metric_prior())
    value, weight = scores[metrics.REBALANCED_AUC], scores[metrics.REBALANCED_WEIGHT]
    logged = float(model.val_metrics[metrics.REBALANCED_AUC].compute())
    assert logged == pytest.approx(float(metrics.pooled_mean(value, weight)), rel=1e-5)
    assert abs(logged - float(value.mean())) > 0.01  # the mean of per-image values would let the gray photo count
