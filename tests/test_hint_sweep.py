"""Hint models end to end: a checkpoint records its hints and validates with and without them; the hint sweep
(evaluate/compare hint_sweep=true) gives every model the same hints, nested, and writes its csv and plot."""

from __future__ import annotations

import csv
import json

import pytest
import torch
from omegaconf import OmegaConf
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader

from colorgan.color import gray_rgb, rgb_to_L_ab
from colorgan.compare import compare
from colorgan.data.datasets import ImageFileDataset, collate_readable
from colorgan.data.transforms import val_transform
from colorgan.data.walk import find_images
from colorgan.evaluate import evaluate
from colorgan.evaluation.hint_sweep import COUNTS, PATCH, on_imagenet, run_hint_sweep, sweep_patches, sweep_rows
from colorgan.evaluation.hint_sweep_plot import plot_hint_sweep
from colorgan.evaluation.published_hint_sweep import PSNR_BY_HINTS
from colorgan.hints import HintSimulation
from colorgan.metrics import psnr
from colorgan.models.base import ColorizationModule
from colorgan.training.checkpoint import load_colorizer
from tests.hint_oracle import hint_oracle
from tests.test_evaluate import FAST_EVAL, compose_named, photo_folder  # noqa: F401  (a fixture)


def test_a_hint_checkpoint_records_its_hints_and_validates_with_and_without_them(hint_run):
    model = load_colorizer(hint_run / "checkpoints" / "last.ckpt")
    assert model.uses_hints and model.hint_simulation == HintSimulation(1 / 8, tuple(range(1, 10)), 0.25)
    assert model.generator.encoder.conv1.in_channels == 4
    with open(next(hint_run.glob("**/metrics.csv")), newline="") as f:
        columns = next(csv.reader(f))
    assert {"val/psnr", "val/de00_cf", "val/hinted_psnr", "val/hinted_de00_cf"} <= set(columns)


def loader_of(folder, batch_size: int, size: int = 48) -> DataLoader:
    dataset = ImageFileDataset(find_images(folder), val_transform(size), skip_unreadable=True)
    return DataLoader(dataset, batch_size, shuffle=False, collate_fn=collate_readable)


def automatic_model() -> ColorizationModule:
    model = ColorizationModule(nn.Conv2d(1, 2, 1))  # trained without hints: it cannot take any
    model.meta["working_size"] = 48
    return model.eval()


def test_the_sweep_gives_each_image_its_own_nested_hints_whatever_the_batch():
    together = sweep_patches(0, 4, (48, 48), 20, PATCH, seed=3)
    alone = sweep_patches(2, 1, (48, 48), 20, PATCH, seed=3)
    assert torch.equal(together.tops[2:3], alone.tops) and torch.equal(together.lefts[2:3], alone.lefts)
    assert (together.sizes == PATCH).all() and together.active.all()
    assert not torch.equal(together.tops[0], together.tops[1])


def test_revealing_true_colours_brings_a_hint_copying_model_to_the_truth(photo_folder):  # noqa: F811
    models = {"oracle": hint_oracle(48), "automatic": automatic_model()}
    counts = (0, 1, 10, 100, 500)
    sweep = run_hint_sweep(models, loader_of(photo_folder, 2), torch.device("cpu"), counts, PATCH, seed=0)
    again = run_hint_sweep(models, loader_of(photo_folder, 5), torch.device("cpu"), counts, PATCH, seed=0)
    oracle = sweep.per_image["oracle"]
    for n in counts:  # the same hints per image, batched by 2 or all at once
        torch.testing.assert_close(oracle[n]["psnr"], again.per_image["oracle"][n]["psnr"])
    rgb = torch.stack([ImageFileDataset(find_images(photo_folder), val_transform(48))[i]["rgb"] for i in range(5)])
    gray = psnr(gray_rgb(rgb_to_L_ab(rgb)[0]), rgb.float() / 255)
    torch.testing.assert_close(oracle[0]["psnr"], gray.double())  # no hint: the oracle paints nothing
    means = [oracle[n]["psnr"].mean().item() for n in counts]
    assert means == sorted(means) and means[-1] > means[0] + 5
    assert oracle[500]["delta_e2000"].mean() < oracle[0]["delta_e2000"].mean() / 2
    flat = sweep.per_image["automatic"]
    assert all(torch.equal(flat[n]["psnr"], flat[0]["psnr"]) for n in counts)
    assert sweep.hints_used == {"oracle": True, "automatic": False} and sweep.n_images == 5


def test_sweep_rows_have_intervals_and_the_plot_is_written(photo_folder, tmp_path):  # noqa: F811
    models = {"oracle": hint_oracle(48), "automatic": automatic_model()}
    sweep = run_hint_sweep(models, loader_of(photo_folder, 5), torch.device("cpu"), (0, 5, 50), PATCH, seed=0)
    rows = sweep_rows(sweep, resamples=200)
    assert [(r["model"], r["n_hints"]) for r in rows] == [(m, n) for m in models for n in (0, 5, 50)]
    for row in rows:
        assert row["psnr_ci95_low"] <= row["psnr_mean"] <= row["psnr_ci95_high"] and row["n_images"] == 5
        assert row["hints_used"] == (row["model"] == "oracle")
        zero = next(r for r in rows if r["model"] == row["model"] and r["n_hints"] == 0)
        assert row["psnr_gain_mean"] == pytest.approx(row["psnr_mean"] - zero["psnr_mean"])  # paired, per image
        assert row["psnr_gain_ci95_low"] <= row["psnr_gain_mean"] <= row["psnr_gain_ci95_high"]
    assert rows[2]["psnr_gain_ci95_low"] > 0 and rows[5]["psnr_gain_mean"] == 0  # the oracle gains; automatic: flat
    path = plot_hint_sweep(rows, tmp_path / "sweep.png", published=True)
    assert Image.open(path).size[0] > 600


def test_the_published_curve_is_the_released_model_s_and_drawn_on_imagenet_only():
    assert [(n, round(m, 2)) for n, m, _ in (PSNR_BY_HINTS[0], PSNR_BY_HINTS[-1])] == [(0, 24.43), (501, 32.14)]
    assert len(PSNR_BY_HINTS) == 26 and all(a[1] < b[1] for a, b in zip(PSNR_BY_HINTS, PSNR_BY_HINTS[1:]))
    imagenet = OmegaConf.create({"data": {"_target_": "colorgan.data.ImageNetDataModule"}, "protocol": None})
    folder = OmegaConf.create({"data": {"_target_": "colorgan.data.FolderDataModule"}, "protocol": None})
    assert on_imagenet(imagenet) and not on_imagenet(folder)
    assert on_imagenet(OmegaConf.merge(folder, {"protocol": {"name": "ctest10k"}}))


SWEEP = ["hint_sweep=true", "hint_sweep_counts=[0,2,20]", "bootstrap_resamples=200", "fid=false"]


def test_evaluate_writes_the_sweep(hint_run, photo_folder, tmp_path):  # noqa: F811
    ckpt = hint_run / "checkpoints" / "last.ckpt"
    base = [f"data.root={photo_folder}", "split=all", *FAST_EVAL, "data.image_size=32", *SWEEP]
    record = evaluate(compose_named("evaluate", tmp_path / "e", [f"ckpt_path={ckpt}", *base]))
    with open(tmp_path / "e" / "hint_sweep.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    (name,) = record["rows"]  # evaluate: one model row
    assert [(r["model"], int(r["n_hints"]), r["hints_used"]) for r in rows] == [(name, n, "True") for n in (0, 2, 20)]
    assert (tmp_path / "e" / "hint_sweep.png").is_file()
    assert json.loads((tmp_path / "e" / "metrics.json").read_text())["hint_sweep"] == record["hint_sweep"]
    assert COUNTS == (0, 1, 2, 5, 10, 20, 50, 100, 200, 500)  # the default: the paper's figure's ticks


@pytest.mark.slow
def test_compare_writes_the_sweep_with_seeds_merged(hint_run, photo_folder, tmp_path):  # noqa: F811
    ckpt = hint_run / "checkpoints" / "last.ckpt"
    base = [f"data.root={photo_folder}", "split=all", *FAST_EVAL, "data.image_size=32", *SWEEP]
    compare(compose_named("compare", tmp_path / "c", [f"ckpts=[{ckpt},{ckpt}]", "names=[hints,hints]", *base]))
    with open(tmp_path / "c" / "hint_sweep.csv", newline="") as f:
        assert {(r["model"], r["n_seeds"]) for r in csv.DictReader(f)} == {("hints", "2")}
