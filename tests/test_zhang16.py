"""Zhang et al. 2016's pieces, pinned by hand-computed cases: bins, soft encoding, rebalancing, annealed mean, loss."""

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from colorgan.color import ab_bins
from colorgan.color.ab_bins import load_prior_file
from colorgan.models.classification_module import ClassificationColorizer
from colorgan.models.nets import Zhang16Net
from colorgan.models.schedules import rate_drops

# The paper's 313 bins (resources/pts_in_hull.npy of richzhang/colorization), as b ranges per a: 10-step grids.
PTS_IN_HULL_B_RANGES = {
    -90: (50, 90), -80: (20, 90), -70: (0, 90), -60: (-20, 90), -50: (-30, 100), -40: (-40, 100),
    -30: (-50, 100), -20: (-50, 100), -10: (-60, 100), 0: (-70, 100), 10: (-80, 90), 20: (-80, 90),
    30: (-90, 90), 40: (-100, 90), 50: (-100, 80), 60: (-110, 80), 70: (-110, 80), 80: (-110, 70),
    90: (-110, 70), 100: (-90, 0),
}  # fmt: skip


def ab_map(*values: tuple[float, float]) -> torch.Tensor:
    """``(1, 2, 1, n)`` ab in Lab units, one pixel per value."""
    return torch.tensor(values, dtype=torch.float32).T[None, :, None, :]


def index_of(bins: torch.Tensor, a: float, b: float) -> int:
    return int(((bins - torch.tensor([a, b])).abs().sum(1) == 0).nonzero())


def test_gamut_bins_are_the_papers_313_in_its_order():
    expected = [(a, b) for a, (lo, hi) in sorted(PTS_IN_HULL_B_RANGES.items()) for b in range(lo, hi + 1, 10)]
    assert len(expected) == 313
    assert [tuple(map(int, p)) for p in ab_bins.gamut_bins().tolist()] == expected


def test_soft_encoding_of_a_value_exactly_on_a_bin():
    bins = ab_bins.gamut_bins()
    encoded = ab_bins.soft_encode(ab_map((0.0, 0.0)), bins)[0, :, 0, 0]
    # itself at distance 0 and its four grid neighbours at 10: weights 1 and e^-2 (100 / (2 * 5^2)), normalized
    centre, side = 1 / (1 + 4 * math.exp(-2)), math.exp(-2) / (1 + 4 * math.exp(-2))
    assert encoded[index_of(bins, 0, 0)] == pytest.approx(centre, abs=1e-6)  # 0.6490
    for a, b in [(10, 0), (-10, 0), (0, 10), (0, -10)]:
        assert encoded[index_of(bins, a, b)] == pytest.approx(side, abs=1e-6)  # 0.0878
    assert (encoded > 0).sum() == 5 and encoded.sum() == pytest.approx(1.0)


def test_soft_encoding_weights_the_5_nearest_bins_by_a_gaussian_of_sigma_5():
    bins = ab_bins.gamut_bins()
    encoded = ab_bins.soft_encode(ab_map((3.0, 4.0)), bins)[0, :, 0, 0]
    # squared distances from (3, 4): (0,0) 25, (0,10) 45, (10,0) 65, (10,10) 85, (-10,0) 185; next (0,-10) 205
    near = {(0, 0): 25, (0, 10): 45, (10, 0): 65, (10, 10): 85, (-10, 0): 185}
    total = sum(math.exp(-d2 / 50) for d2 in near.values())
    for (a, b), d2 in near.items():
        assert encoded[index_of(bins, a, b)] == pytest.approx(math.exp(-d2 / 50) / total, abs=1e-6)
    assert encoded[index_of(bins, 0, -10)] == 0 and (encoded > 0).sum() == 5


def test_rebalancing_weights_by_hand_and_their_prior_weighted_mean_is_1():
    prior = torch.tensor([0.5, 0.3, 0.2, 0.0])  # the last bin never seen: no uniform mass, no weight
    w = ab_bins.rebalancing_weights(prior, lam=0.5).double()
    mix = torch.tensor([0.25 + 0.5 / 3, 0.15 + 0.5 / 3, 0.10 + 0.5 / 3], dtype=torch.float64)  # (1-l) p + l / 3
    norm = (prior[:3].double() / mix).sum()  # sum_q p_q / mix_q
    torch.testing.assert_close(w[:3], 1 / mix / norm, rtol=1e-6, atol=0)  # 0.8284, 1.0900, 1.2944
    assert w[3] == 0 and (prior.double() * w).sum() == pytest.approx(1.0)
    counts = torch.rand(313, generator=torch.Generator().manual_seed(0)) ** 8 * 1e6
    p = ab_bins.smooth_prior(counts, ab_bins.gamut_bins())
    assert (p * ab_bins.rebalancing_weights(p).double()).sum() == pytest.approx(1.0)


def test_lambda_1_gives_uniform_weights_and_rare_bins_weigh_more_below():
    prior = torch.tensor([0.7, 0.2, 0.1])
    torch.testing.assert_close(ab_bins.rebalancing_weights(prior, lam=1.0), torch.ones(3))
    assert ab_bins.rebalancing_weights(prior, lam=0.5).diff().gt(0).all()


def test_smoothing_spreads_a_single_bin_by_the_gaussian_and_keeps_mass():
    bins = ab_bins.gamut_bins()
    counts = torch.zeros(313)
    counts[index_of(bins, 0, 0)] = 7.0
    p = ab_bins.smooth_prior(counts, bins, sigma=5.0)
    assert p.sum() == pytest.approx(1.0)
    ratio = p[index_of(bins, 10, 0)] / p[index_of(bins, 0, 0)]
    assert ratio == pytest.approx(math.exp(-2), rel=1e-6)  # a neighbour 10 away gets e^(-100 / 50) of the centre
    assert p[index_of(bins, 10, 10)] / p[index_of(bins, 0, 0)] == pytest.approx(math.exp(-4), rel=1e-6)


def test_annealed_mean_tends_to_the_mode_and_is_the_mean_at_T_1():
    bins = ab_bins.gamut_bins()
    logits = torch.randn(2, 313, 3, 4, generator=torch.Generator().manual_seed(1))
    mode = bins[logits.argmax(dim=1)].permute(0, 3, 1, 2)  # (B, 2, h, w): the arg-max bin centre
    torch.testing.assert_close(ab_bins.annealed_mean(logits, bins, temperature=1e-4), mode)
    mean = torch.einsum("bqhw,qc->bchw", logits.softmax(dim=1), bins)
    torch.testing.assert_close(ab_bins.annealed_mean(logits, bins, temperature=1.0), mean)
    sharper = ab_bins.annealed_mean(logits, bins, temperature=0.38)
    assert ((sharper - mode).norm(dim=1) < (mean - mode).norm(dim=1)).float().mean() > 0.9
    with pytest.raises(ValueError, match="temperature"):
        ab_bins.annealed_mean(logits, bins, temperature=0.0)


def test_the_net_follows_the_papers_layer_table():
    net = Zhang16Net()
    assert 32.0e6 < sum(p.numel() for p in net.parameters()) < 32.5e6  # the released caffemodel: 129 MB of fp32
    convs = [m for m in net.blocks.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256, 256] + [512] * 12 + [256, 256]
    assert [c.dilation[0] for c in convs] == [1] * 10 + [2] * 6 + [1] * 5  # blocks 5 and 6 dilated
    assert [c.stride[0] for c in convs if c.stride[0] > 1] == [2, 2, 2]
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 7 and not any(n.affine for n in norms)
    assert net(torch.zeros(1, 1, 176, 176)).shape == (1, 313, 44, 44)  # the paper's crop -> 1/4 resolution


def make_colorizer(**kwargs) -> ClassificationColorizer:
    optimizer = lambda params: torch.optim.Adam(params)  # noqa: E731
    model = ClassificationColorizer(lambda out_channels: Zhang16Net(out_channels, base_channels=8), optimizer, **kwargs)
    return model.eval()


def test_forward_decodes_at_the_input_resolution():
    model = make_colorizer()
    k = index_of(model.bins, 40, -30)
    logits = torch.full((1, 313, 5, 7), -20.0)
    logits[:, k] = 20.0
    model.generator.forward = lambda L: logits  # a confident prediction of one bin everywhere
    ab = model(torch.zeros(1, 1, 20, 28))
    assert ab.shape == (1, 2, 20, 28)
    torch.testing.assert_close(ab * 110.0, torch.tensor([40.0, -30.0]).view(1, 2, 1, 1).expand(1, 2, 20, 28))


def test_the_loss_is_the_rebalanced_cross_entropy_by_hand():
    model = make_colorizer()
    model.prior.copy_(ab_bins.smooth_prior(torch.rand(313) + 0.1, model.bins))
    weights = ab_bins.rebalancing_weights(model.prior)
    on_bin = torch.tensor([30.0, -20.0]).view(1, 2, 1, 1).expand(2, 2, 8, 8) / 110.0
    uniform = torch.zeros(2, 313, 2, 2)  # every bin equally likely: cross-entropy log(313) against any target
    expected = weights[index_of(model.bins, 30, -20)] * math.log(313)
    assert model.objective(uniform, on_bin) == pytest.approx(float(expected), rel=1e-5)
    gray = torch.zeros(2, 2, 8, 8)  # |a|, |b| <= 5 everywhere: the non-gray mask zeroes the loss
    assert model.objective(uniform, gray) == 0
    model.nongray_threshold = None
    assert model.objective(uniform, gray) == pytest.approx(float(weights[index_of(model.bins, 0, 0)] * math.log(313)))


def test_the_l2_variant_uses_the_same_net_with_two_outputs():
    model = make_colorizer(loss="l2")
    assert model.generator.out_channels == 2
    ab = torch.full((1, 2, 8, 8), 0.2)
    assert model.objective(torch.zeros(1, 2, 2, 2), ab) == pytest.approx(0.5 * 2 * 0.2**2)  # eq. 1: 1/2 ||.||^2
    with pytest.raises(ValueError, match="model.loss"):
        make_colorizer(loss="hinge")


def test_a_prior_file_must_fit_the_bins(tmp_path):
    np.save(tmp_path / "prior_probs.npy", np.full(312, 1 / 312))
    with pytest.raises(ValueError, match="312 probabilities but there are 313"):
        load_prior_file(tmp_path / "prior_probs.npy", 313)
    np.save(tmp_path / "prior_probs.npy", np.arange(313.0))
    assert load_prior_file(tmp_path / "prior_probs.npy", 313).sum() == pytest.approx(1.0)
    with pytest.raises(FileNotFoundError, match="nope.npy"):
        load_prior_file(tmp_path / "nope.npy", 313)


def test_a_bins_file_sets_the_number_of_classes(tmp_path):
    np.save(tmp_path / "pts.npy", np.array([[0, 0], [10, 0], [0, 10]], dtype=np.float64))
    model = make_colorizer(bins_file=str(tmp_path / "pts.npy"))
    assert model.bins.shape == (3, 2) and model.generator.out_channels == 3
    np.save(tmp_path / "bad.npy", np.zeros((4, 3)))
    with pytest.raises(ValueError, match="bad.npy"):
        make_colorizer(bins_file=str(tmp_path / "bad.npy"))


def test_rate_drops_follow_the_papers_iterations():
    opt = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=3e-5)
    schedule = rate_drops(opt, milestones=[3, 5], rates=[1e-5, 3e-6])
    rates = []
    for _ in range(7):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step()
    assert rates == pytest.approx([3e-5] * 3 + [1e-5] * 2 + [3e-6] * 2)


@pytest.mark.slow  # the paper-size net, ~80 s on 2 busy cores
def test_benchmark_train_measures_zhang16(capsys):
    from colorgan.benchmark import main as benchmark_main

    benchmark_main(["train", "--model", "zhang16", "--size", "32", "--batch", "2", "--steps", "1"])
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["model"] == "zhang16" and record["images_per_s"] > 0 and record["baseline_images_per_s"] > 0
