"""evaluate and compare: the metric suite on every image, the gray baseline, honest skips, reports."""

import json

import numpy as np
import pytest
import torch
import torchvision
from hydra import compose, initialize_config_dir
from PIL import Image

from colorgan.compare import compare
from colorgan.evaluate import evaluate
from colorgan.evaluation.metrics import METRIC_NAMES
from tests.conftest import CONF_DIR, photo


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


def test_evaluate_scores_every_image_of_a_folder_against_gray(checkpoints, photo_folder, tmp_path):
    run = tmp_path / "eval"
    cfg = compose_named("evaluate", run, [f"ckpt_path={checkpoints['gan']}", f"data.root={photo_folder}", *FAST_EVAL])
    record = evaluate(cfg)
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["n_images"] == 5  # all of them, not a val split
    for key in METRIC_NAMES:
        assert np.isfinite(saved[key]) and np.isfinite(saved["gray"][key])
    assert saved["gray"]["colorfulness"] < 0.5 and saved["gray"]["colorfulness_gt"] == pytest.approx(
        saved["colorfulness_gt"]
    )
    assert "fid" not in saved and "weights unavailable" in saved["skipped"]["fid"]  # offline: named, not zero
    assert saved["skipped"]["lpips"].startswith("disabled")
    assert record["psnr"] == saved["psnr"]
    table = (run / "metrics.md").read_text()
    assert "| gray (ab=0) |" in table and "fid skipped" in table
    grid = np.asarray(Image.open(run / "metrics_grid.png"))
    assert grid.shape[0] > 5 * 64 and grid.shape[1] > 3 * 64  # 5 rows; gray | model | truth


def test_lpips_is_computed_when_its_weights_are_in_the_torch_cache(checkpoints, photo_folder, tmp_path, monkeypatch):
    cache = tmp_path / "torch_home" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(torchvision.models.alexnet().state_dict(), cache / "alexnet-owt-7be5be79.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    overrides = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={photo_folder}", *FAST_EVAL[:-1], "fid=false"]
    saved = evaluate(compose_named("evaluate", tmp_path / "eval", overrides))
    assert 0 < saved["lpips"] < 1 and 0 <= saved["gray"]["lpips"] < 1
    assert "lpips" not in saved["skipped"]


def test_compare_puts_models_side_by_side(checkpoints, photo_folder, tmp_path):
    run = tmp_path / "compare"
    ckpts = f"ckpts=[{checkpoints['gan']},{checkpoints['mse_cnn']}]"
    evaluation = compare(
        compose_named("compare", run, [ckpts, "names=[gan,mse]", f"data.root={photo_folder}", *FAST_EVAL])
    )
    assert list(evaluation.results) == ["gray (ab=0)", "gan", "mse"]
    assert evaluation.grid_columns == ["gray (ab=0)", "gan", "mse", "truth"]
    table = (run / "comparison.md").read_text()
    assert all(f"| {name} |" in table for name in ["gray (ab=0)", "gan", "mse"])
    saved = json.loads((run / "comparison.json").read_text())
    assert set(saved["results"]) == {"gray (ab=0)", "gan", "mse"}
    grid = np.asarray(Image.open(run / "comparison_grid.png"))
    assert grid.shape[1] > 4 * 64


def test_compare_default_names_say_model_and_run(checkpoints, photo_folder, tmp_path):
    ckpts = f"ckpts=[{checkpoints['gan']},{checkpoints['fusion']}]"
    evaluation = compare(
        compose_named("compare", tmp_path / "c", [ckpts, f"data.root={photo_folder}", *FAST_EVAL, "data.image_size=32"])
    )
    names = list(evaluation.results)[1:]
    assert len(set(names)) == 2 and all("/last)" in n for n in names)


def test_compare_logs_its_table_and_grid_to_wandb(checkpoints, photo_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    run = tmp_path / "compare"
    overrides = [f"ckpts=[{checkpoints['gan']}]", "logger=wandb", f"data.root={photo_folder}", *FAST_EVAL]
    compare(compose_named("compare", run, overrides))
    (offline,) = (run / "wandb").glob("offline-run-*")
    assert list(offline.glob("files/media/table/**/*.table.json"))
    (image,) = offline.glob("files/media/images/**/*.png")
    assert np.asarray(Image.open(image)).std() > 20
