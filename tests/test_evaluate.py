"""evaluate and compare: the metric suite on every image, the gray baseline, honest skips, reports."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from hydra import compose, initialize_config_dir
from PIL import Image

from colorgan.compare import compare
from colorgan.data.images import find_images
from colorgan.errors import ConfigError
from colorgan.evaluate import evaluate
from colorgan.inference import predict_ab
from colorgan.metrics import METRIC_NAMES
from colorgan.training.checkpoint import load_colorizer
from tests.conftest import CONF_DIR, FAST, compose_cfg, photo


def compose_named(name: str, output_dir, overrides):
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF_DIR)):
        return compose(name, overrides=[f"paths.output_dir={output_dir}", *overrides])


@pytest.fixture
def photo_folder(tmp_path):
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    for i, name in enumerate(["chelsea", "coffee", "astronaut", "rocket", "hubble_deep_field"]):
        Image.fromarray(photo(name, 80)).save(root / ("sub" if i % 2 else ".") / f"{name}.png")
    return root


FAST_EVAL = ["data=folder", "data.image_size=64", "data.batch_size=2", "data.num_workers=0", "lpips=false"]


def per_image_rows(run) -> list[dict]:
    with open(run / "per_image.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_evaluate_scores_every_photo_of_a_folder_it_never_saw_against_gray(checkpoints, photo_folder, tmp_path):
    run = tmp_path / "eval"
    overrides = [f"ckpt_path={checkpoints['gan']}", f"data.root={photo_folder}", "split=all", *FAST_EVAL]
    record = evaluate(compose_named("evaluate", run, overrides))
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["n_images"] == 5 and saved["split"] == "all" and saved["warnings"] == []  # never seen: no warning
    model, gray = saved["results"][saved["model"]], saved["results"]["gray (ab=0)"]
    for key in METRIC_NAMES:
        low, high = model[key]["ci95"]
        assert np.isfinite(model[key]["mean"]) and low <= model[key]["mean"] <= high and np.isfinite(gray[key]["mean"])
    assert gray["colorfulness"]["mean"] < 0.5
    assert gray["colorfulness_gt"]["mean"] == pytest.approx(model["colorfulness_gt"]["mean"])
    assert "fid" not in model and "weights unavailable" in saved["skipped"]["fid"]  # offline: named, not zero
    assert saved["skipped"]["lpips"].startswith("disabled")
    assert record["results"] == saved["results"]
    rows = per_image_rows(run)
    scored = sorted(r["path"] for r in rows if r["model"] == saved["model"])
    assert scored == sorted(map(str, find_images(photo_folder)))
    gan_psnr = [float(r["psnr"]) for r in rows if r["model"] == saved["model"]]
    assert np.mean(gan_psnr) == pytest.approx(model["psnr"]["mean"], rel=1e-4)
    table = (run / "metrics.md").read_text()
    assert "| gray (ab=0) |" in table and "fid skipped" in table and " [" in table  # intervals in the cells
    grid = np.asarray(Image.open(run / "metrics_grid.png"))
    assert grid.shape[0] > 5 * 64 and grid.shape[1] > 3 * 64  # 5 rows; gray | model | truth


@pytest.fixture(scope="module")
def folder_run(tmp_path_factory):
    """A GAN trained 2 steps on a folder of 12 photos: its run directory and the folder."""
    from colorgan.train import train

    root = tmp_path_factory.mktemp("heldout") / "photos"
    root.mkdir()
    for i in range(12):
        name = ("chelsea", "coffee", "astronaut", "rocket")[i % 4]
        Image.fromarray(np.roll(photo(name, 48), 5 * i, axis=1)).save(root / f"{name}{i}.png")
    run = root.parent / "run"
    overrides = [*FAST, "data=folder", f"data.root={root}", "data.val_fraction=0.2", "data.test_fraction=0.25",
                 "data.decode_check=false", "trainer.max_steps=2", "trainer.limit_val_batches=1",
                 "model.pretrain_epochs=0"]  # fmt: skip
    train(compose_cfg(run, overrides))
    return run, root


def test_evaluate_scores_only_the_held_out_test_split_by_default(folder_run, tmp_path):
    run, root = folder_run
    ckpt = f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}"
    evaluate(compose_named("evaluate", tmp_path / "e", [ckpt, f"data.root={root}", *FAST_EVAL]))
    split = json.loads((run / "split.json").read_text())
    scored = {Path(r["path"]).relative_to(root).as_posix() for r in per_image_rows(tmp_path / "e")}
    assert scored == set(split["test"]) and not scored & set(split["train"] + split["val"])
    with pytest.raises(ConfigError, match="trained on"):
        evaluate(compose_named("evaluate", tmp_path / "all", [ckpt, f"data.root={root}", "split=all", *FAST_EVAL]))
    assert not (tmp_path / "all" / "metrics.json").exists()
    overrides = [ckpt, f"data.root={root}", "split=all", "allow_trained_images=true", *FAST_EVAL]
    saved = evaluate(compose_named("evaluate", tmp_path / "allowed", overrides))
    assert saved["n_images"] == 12 and any("trained on" in w for w in saved["warnings"])


def test_evaluate_runs_the_net_at_the_checkpoints_working_size(checkpoints, photo_folder, tmp_path):
    model = load_colorizer(checkpoints["mse_cnn"])
    seen = []
    model.generator.register_forward_hook(lambda m, args, out: seen.append(tuple(args[0].shape[-2:])))
    L = torch.zeros(1, 1, 96, 128)
    assert predict_ab(model, L).shape == (1, 2, 96, 128)
    assert seen == [(64, 85)]  # trained at 64 px: short side 64, aspect kept


def test_lpips_is_computed_when_its_weights_are_in_the_torch_cache(checkpoints, photo_folder, tmp_path, monkeypatch):
    cache = tmp_path / "torch_home" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(torchvision.models.alexnet().state_dict(), cache / "alexnet-owt-7be5be79.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    overrides = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={photo_folder}", "split=all", *FAST_EVAL[:-1]]
    saved = evaluate(compose_named("evaluate", tmp_path / "eval", [*overrides, "fid=false"]))
    lpips, gray = saved["results"][saved["model"]]["lpips"], saved["results"]["gray (ab=0)"]["lpips"]
    assert 0 < lpips["mean"] < 1 and 0 <= gray["mean"] < 1 and lpips["ci95"][0] <= lpips["mean"]
    assert "lpips" not in saved["skipped"]
    assert all(r["lpips"] for r in per_image_rows(tmp_path / "eval"))  # per image, like every other metric


def test_compare_puts_models_side_by_side_with_paired_differences(checkpoints, photo_folder, tmp_path):
    run = tmp_path / "compare"
    ckpts = f"ckpts=[{checkpoints['gan']},{checkpoints['mse_cnn']}]"
    overrides = [ckpts, "names=[gan,mse]", f"data.root={photo_folder}", "split=all", *FAST_EVAL]
    summary = compare(compose_named("compare", run, overrides))
    assert list(summary.rows) == ["gray (ab=0)", "gan", "mse"] and summary.reference == "gan"
    assert set(summary.differences) == {"gray (ab=0)", "mse"}
    table = (run / "comparison.md").read_text()
    assert all(f"| {name} |" in table for name in ["gray (ab=0)", "gan", "mse"]) and "against **gan**" in table
    saved = json.loads((run / "comparison.json").read_text())
    assert set(saved["results"]) == {"gray (ab=0)", "gan", "mse"}
    rows = per_image_rows(run)
    gan = {r["path"]: float(r["psnr"]) for r in rows if r["model"] == "gan"}
    mse = {r["path"]: float(r["psnr"]) for r in rows if r["model"] == "mse"}
    paired = np.mean([mse[p] - gan[p] for p in gan])
    assert summary.differences["mse"]["psnr"]["mean"] == pytest.approx(paired, rel=1e-4, abs=1e-6)
    grid = np.asarray(Image.open(run / "comparison_grid.png"))
    assert grid.shape[1] > 4 * 64


def test_compare_merges_checkpoints_of_one_name_into_a_row_over_seeds(checkpoints, photo_folder, tmp_path):
    ckpts = f"ckpts=[{checkpoints['mse_cnn']},{checkpoints['gan']},{checkpoints['pix2pix']}]"
    overrides = [ckpts, "names=[base,model,model]", "reference=base", f"data.root={photo_folder}", "split=all"]
    summary = compare(compose_named("compare", tmp_path / "c", [*overrides, *FAST_EVAL]))
    assert list(summary.rows) == ["gray (ab=0)", "base", "model"]
    psnr = summary.rows["model"]["psnr"]
    assert psnr["n_seeds"] == 2 and psnr["std_seeds"] > 0 and "std_seeds" not in summary.rows["base"]["psnr"]
    assert "± " in (tmp_path / "c" / "comparison.md").read_text()


def test_compare_default_names_say_model_and_run(checkpoints, photo_folder, tmp_path):
    ckpts = f"ckpts=[{checkpoints['gan']},{checkpoints['fusion']}]"
    overrides = [ckpts, f"data.root={photo_folder}", "split=all", *FAST_EVAL, "data.image_size=32"]
    summary = compare(compose_named("compare", tmp_path / "c", overrides))
    names = list(summary.rows)[1:]
    assert len(set(names)) == 2 and all("/last)" in n for n in names)


def test_compare_logs_its_table_and_grid_to_wandb(checkpoints, photo_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    run = tmp_path / "compare"
    overrides = [f"ckpts=[{checkpoints['gan']}]", "logger=wandb", f"data.root={photo_folder}", "split=all", *FAST_EVAL]
    compare(compose_named("compare", run, overrides))
    (offline,) = (run / "wandb").glob("offline-run-*")
    assert list(offline.glob("files/media/table/**/*.table.json"))
    (image,) = offline.glob("files/media/images/**/*.png")
    assert np.asarray(Image.open(image)).std() > 20
