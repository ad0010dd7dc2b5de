"""experiments/baselines.sh: every paper experiment at one budget and N seeds, then one comparison."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "experiments" / "baselines.sh"
# The scripts call `python`: this interpreter's, also when the tests run as .venv/bin/python without activating it
PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def run_script(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": PATH, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled", "OUT": str(tmp_path / "out"),
           **env}  # fmt: skip
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=1800)  # fmt: skip


def test_training_overrides_are_refused_before_anything_runs(tmp_path):
    out = run_script(tmp_path, "data.image_size=64", "trainer.max_epochs=3")
    assert out.returncode == 2 and "TRAIN_ARGS" in out.stderr and "trainer.max_epochs=3" in out.stderr
    assert not (tmp_path / "out" / "train").exists()


@pytest.mark.slow  # kept out of the default run (suite time); run with -m slow
def test_missing_weights_turn_into_random_init_with_a_warning_in_auto_mode(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, str(ROOT / "experiments" / "baseline_weights.py")]
    auto = subprocess.run([*cmd, "unet_gan", "auto"], env=env, capture_output=True, text=True, timeout=120)
    assert auto.stdout.split() == ["model.generator.pretrained=false"] and "random init" in auto.stderr
    required = subprocess.run([*cmd, "unet_gan", "true"], env=env, capture_output=True, text=True, timeout=120)
    assert required.stdout.strip() == ""  # training then fails on the missing weights, naming them
    plain = subprocess.run([*cmd, "wallner_beta", "auto"], env=env, capture_output=True, text=True, timeout=120)
    assert plain.stdout.strip() == "" and plain.stderr == ""  # no weights asked for


@pytest.mark.slow
def test_two_experiments_two_seeds_one_budget_one_table(tmp_path):
    out = run_script(tmp_path, "data.image_size=64", "data.batch_size=2", "data.num_workers=0",
                     EXPERIMENTS="wallner_beta unet_gan", SEEDS="2", BUDGET="00:00:00:03", EVAL_SIZE="64")  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    record = json.loads((tmp_path / "out" / "compare" / "metrics.json").read_text())
    assert list(record["results"]) == ["gray (ab=0)", "wallner_beta", "unet_gan"]
    assert record["results"]["unet_gan"]["psnr"]["n_seeds"] == 2 and record["split"] == "test"
    assert record["geometry"]["kind"] == "squash" and record["image_size"] == 64
    assert "random init" in (tmp_path / "out" / "notes.txt").read_text()  # unet_gan without its ImageNet encoder
    table = (tmp_path / "out" / "compare" / "metrics.md").read_text()  # ...and in the table itself
    assert "| unet_gan ⚠ L1 pretraining only, never a GAN; resnet18 encoder: random init |" in table
