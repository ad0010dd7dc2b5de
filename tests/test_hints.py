"""The hint simulation of Zhang et al. 2017 pinned by hand, the hint map's resizing and net input, and hint
models: every model config takes hints=random, refuses hints by name without it, and colorizes without them."""

from __future__ import annotations

import math

import pytest
import timm
import torch

from colorgan.errors import ConfigError
from colorgan.hints import (
    MASK_CENTER,
    HintSimulation,
    Patches,
    empty_hints,
    geometric_counts,
    net_input,
    paint_hints,
    random_hints,
    resize_hints,
    simulated_patches,
)
from colorgan.models.build import build_model
from colorgan.models.nets import ResNetUNet
from colorgan.training.step_cost import step_flops
from tests.conftest import FAST_MODEL, MODELS, compose_cfg


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_the_number_of_hints_is_geometric_with_mean_7_for_p_one_eighth():
    counts = geometric_counts(200_000, 1 / 8, seeded(0)).double()
    # E[K] = (1 - p) / p = 7; its standard error here is sqrt(1 - p) / p / sqrt(200000) = 0.017
    assert counts.mean().item() == pytest.approx(7.0, abs=0.1)
    assert (counts == 0).double().mean().item() == pytest.approx(1 / 8, abs=0.005)  # one image in eight: no hint
    assert (counts == 1).double().mean().item() == pytest.approx(7 / 64, abs=0.005)  # P(K = 1) = (1 - p) p
    assert geometric_counts(1000, 1.0, seeded(0)).sum() == 0  # p = 1: never a hint


def test_patch_sizes_are_uniform_and_corners_gather_around_the_centre_inside_the_image():
    patches = simulated_patches(20_000, 40, 64, generator=seeded(1))
    sizes = patches.sizes[patches.active]
    shares = torch.bincount(sizes, minlength=10)[1:].double() / sizes.numel()
    assert torch.allclose(shares, torch.full((9,), 1 / 9, dtype=torch.float64), atol=0.01)
    tops, lefts = patches.tops[patches.active], patches.lefts[patches.active]
    assert tops.min() >= 0 and (tops + sizes).max() <= 40 and lefts.min() >= 0 and (lefts + sizes).max() <= 64
    # the corner's mean: the centre of the positions a corner can take, (H - P + 1) / 2 (clipping is symmetric)
    assert (tops.double() - (40 - sizes + 1).double() / 2).mean().item() == pytest.approx(-0.5, abs=0.1)


def naive_hints(ab: torch.Tensor, patches: Patches) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference's loop, pixel by pixel: each active patch in turn paints its mean true ab."""
    hint, mask = torch.zeros_like(ab), torch.zeros_like(ab[:, :1])
    for b in range(ab.shape[0]):
        for k in range(patches.sizes.shape[1]):
            if patches.active[b, k]:
                t, left, s = (int(v[b, k]) for v in (patches.tops, patches.lefts, patches.sizes))
                region = (slice(t, t + s), slice(left, left + s))
                hint[b, :, region[0], region[1]] = ab[b, :, region[0], region[1]].mean(dim=(1, 2))[:, None, None]
                mask[b, :, region[0], region[1]] = 1
    return hint, mask


def test_a_hint_is_its_patch_s_mean_ab_and_the_mask_marks_exactly_the_hinted_pixels():
    ab = torch.rand(6, 2, 24, 30, generator=seeded(2)) * 2 - 1
    patches = simulated_patches(6, 24, 30, p=0.05, generator=seeded(3))  # ~19 per image: many overlap
    assert patches.active.sum() > 60 and not patches.active.all()  # some slots unused (images get fewer)
    hints = paint_hints(ab, patches)
    expected_ab, expected_mask = naive_hints(ab, patches)
    assert torch.equal(hints[:, 2:], expected_mask)
    torch.testing.assert_close(hints[:, :2], expected_ab, rtol=0, atol=1e-6)


def test_random_hints_are_the_simulated_patches_painted():
    ab = torch.rand(5, 2, 20, 20, generator=seeded(4)) * 2 - 1
    hints = random_hints(ab, generator=seeded(5))
    torch.testing.assert_close(hints, paint_hints(ab, simulated_patches(5, 20, 20, generator=seeded(5))))


def test_the_same_seed_gives_the_same_hints():
    ab = torch.rand(8, 2, 32, 32, generator=seeded(6)) * 2 - 1
    simulation = HintSimulation()
    first, again = simulation(ab, seeded(7)), simulation(ab, seeded(7))
    assert torch.equal(first, again) and first[:, 2].sum() > 0
    assert not torch.equal(first, simulation(ab, seeded(8)))


def test_bad_simulation_settings_are_named():
    with pytest.raises(ConfigError, match="hints.p"):
        HintSimulation(p=0)
    with pytest.raises(ConfigError, match="hints.patch_sizes"):
        HintSimulation(patch_sizes=(0, 3))


def test_the_net_sees_L_hint_ab_and_the_mask_centred():
    L = torch.rand(2, 1, 8, 8)
    hints = paint_hints(torch.full((2, 2, 8, 8), 0.3), Patches(*(torch.tensor([[2]] * 2) for _ in range(3)),
                                                              active=torch.ones(2, 1, dtype=torch.bool)))  # fmt: skip
    x = net_input(L, hints)
    assert x.shape == (2, 4, 8, 8) and torch.equal(x[:, :1], L)
    assert set(x[:, 3].unique().tolist()) == {-MASK_CENTER, 1 - MASK_CENTER}  # -0.5 / +0.5
    assert torch.equal(net_input(L, None), net_input(L, empty_hints(L)))
    assert (net_input(L, None)[:, 1:3] == 0).all() and (net_input(L, None)[:, 3] == -MASK_CENTER).all()


def test_resizing_keeps_every_hint_and_its_exact_colour():
    hints = torch.zeros(1, 3, 64, 48)
    hints[0, :, 10, 20] = torch.tensor([0.5, -0.25, 1.0])  # one pixel
    hints[0, :, 40:44, 8:12] = torch.tensor([-0.1, 0.2, 1.0])[:, None, None]  # a 4x4 patch
    small = resize_hints(hints, (16, 12))  # a quarter: the pixel covers 1/16 of its cell
    assert small[0, 2].sum() == 2 and small[0, 2, 2, 5] == 1 and small[0, 2, 10, 2] == 1
    torch.testing.assert_close(small[0, :2, 2, 5], torch.tensor([0.5, -0.25]))
    torch.testing.assert_close(small[0, :2, 10, 2], torch.tensor([-0.1, 0.2]))
    assert resize_hints(hints, (64, 48)) is hints
    large = resize_hints(hints, (128, 96))
    assert large[0, 2].sum() == 4 + 64 and torch.equal(large[0, :2, 20:22, 40:42].unique(), torch.tensor([-0.25, 0.5]))


TINY = {**FAST_MODEL, "fusion": ["model.generator.classifier=test_resnet"]}  # timm's 0.5M-parameter test net


@pytest.fixture(scope="module")
def hint_models(tmp_path_factory) -> dict:
    run = tmp_path_factory.mktemp("hint_models")
    return {m: build_model(compose_cfg(run, [f"model={m}", "hints=random", *TINY[m]]).model) for m in MODELS}


@pytest.mark.parametrize("name", MODELS)
def test_every_model_takes_hints_and_without_them_colorizes_automatically(hint_models, name):
    model = hint_models[name].eval()
    assert model.uses_hints and model.model_config["generator"]["in_channels"] == 4
    assert model.model_config["hints"] == {"p": 0.125, "patch_sizes": list(range(1, 10)), "location_std": 0.25}
    L, ab = torch.rand(1, 1, 32, 32) * 2 - 1, torch.rand(1, 2, 32, 32) * 2 - 1
    with torch.no_grad():
        automatic = model(L)
        assert torch.equal(automatic, model(L, empty_hints(L)))  # no hints: ab 0, mask -0.5 everywhere
        hints = random_hints(ab, p=0.01, generator=seeded(0))
        assert automatic.shape == model(L, hints).shape == (1, 2, 32, 32)


def test_the_precision_probe_counts_a_hint_net_s_step(hint_models):
    assert step_flops(hint_models["gan"], 32, 2) > 0  # G sees 4 channels; D still (L, ab)


def test_a_model_trained_without_hints_refuses_them_by_name(tmp_path):
    model = build_model(compose_cfg(tmp_path, ["model=mse_cnn"]).model)
    model.meta["name"] = "mse_cnn"
    assert not model.uses_hints and model.model_config["hints"] is None
    L = torch.zeros(1, 1, 16, 16)
    with pytest.raises(ConfigError, match="mse_cnn was trained without colour hints"):
        model(L, empty_hints(L))


def test_a_pretrained_encoder_loads_and_its_hint_inputs_start_at_zero(tmp_path):
    source = timm.create_model("resnet18")
    path = tmp_path / "resnet18.pth"
    torch.save(source.state_dict(), path)
    net = ResNetUNet(backbone="resnet18", pretrained=str(path), in_channels=4)
    stem = net.encoder.conv1.weight  # (64, 4, 7, 7)
    assert stem.shape[1] == 4 and stem.requires_grad
    torch.testing.assert_close(stem[:, :1], source.conv1.weight.sum(dim=1, keepdim=True))  # timm's 1-channel stem
    assert (stem[:, 1:] == 0).all()
    torch.testing.assert_close(net.encoder.layer4[1].conv2.weight, source.layer4[1].conv2.weight)
    net.eval()
    x = torch.rand(1, 4, 64, 64)
    features = net.encoder(x)[-1]  # the hint inputs change nothing yet: the encoder is the pretrained one on L
    torch.testing.assert_close(features, net.encoder(torch.cat([x[:, :1], torch.zeros(1, 3, 64, 64)], 1))[-1])
    assert not math.isnan(float(features.sum()))
