"""Bootstrap intervals: they cover a known mean at about the stated rate, and pair models image by image."""

import torch

from colorgan.evaluation.bootstrap import bootstrap_intervals


def test_the_interval_covers_a_known_mean_about_95_percent_of_the_time():
    generator = torch.Generator().manual_seed(0)
    covered = 0
    for trial in range(200):  # per-image values of 60 images, skewed like real metrics, true mean 2.0
        values = torch.empty(60).exponential_(0.5, generator=generator)
        iv = bootstrap_intervals({"x": values}, resamples=1000, seed=trial)["x"]
        covered += iv.low <= 2.0 <= iv.high
        assert iv.low <= iv.mean <= iv.high and iv.mean == float(values.double().mean())
    assert 0.88 <= covered / 200 <= 0.99  # percentile intervals run slightly narrow at n = 60


def test_the_interval_narrows_with_more_images_and_is_reproducible():
    generator = torch.Generator().manual_seed(1)
    small, large = torch.randn(30, generator=generator), torch.randn(3000, generator=generator)
    width = {n: (iv.high - iv.low) for n, iv in bootstrap_intervals({"small": small}).items()}
    width |= {n: (iv.high - iv.low) for n, iv in bootstrap_intervals({"large": large}).items()}
    assert width["large"] < width["small"] / 5  # about sqrt(100) = 10x narrower
    assert bootstrap_intervals({"s": small}, seed=3) == bootstrap_intervals({"s": small}, seed=3)


def test_a_paired_difference_is_certain_when_one_model_is_another_plus_a_constant():
    generator = torch.Generator().manual_seed(2)
    a = torch.randn(40, generator=generator) * 5  # large spread between images...
    diff = bootstrap_intervals({"d": (a + 0.1) - a})["d"]  # ...but the same images: the difference is exact
    assert abs(diff.mean - 0.1) < 1e-6 and abs(diff.low - 0.1) < 1e-6 and abs(diff.high - 0.1) < 1e-6  # float32
    unpaired = bootstrap_intervals({"b": a + 0.1, "a": a})
    assert unpaired["b"].low < unpaired["a"].mean  # the unpaired intervals overlap: only pairing resolves it
