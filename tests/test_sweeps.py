"""Sweeps from the command line: multirun with W&B, Optuna with sqlite, the DDP guard, SLURM configs."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hydra import compose, initialize_config_dir
from PIL import Image

from colorgan.training.selection import FALLBACK_KEY
from tests.conftest import CONF_DIR, FAST, compose_cfg

ROOT = Path(__file__).resolve().parents[1]
# 5 photos, batch 2: 2 steps an epoch, so 3 steps stop between validations (the final one must still run)
TINY = [o for o in FAST if o != "logger=none"] + ["trainer.max_steps=3", "trainer.limit_val_batches=1"]


def sweep(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled", **(env or {})}
    cmd = [sys.executable, "-m", "colorgan.train", "-m", *args, f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_multirun_gives_every_job_its_own_dir_and_offline_wandb_run(tmp_path):
    env = {"WANDB_MODE": "offline", "WANDB_API_KEY": "", "NETRC": str(tmp_path / "none")}
    out = sweep(tmp_path, "model=mse_cnn,gan", "logger=wandb", *TINY, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = [next((tmp_path / "sweep" / str(job) / "wandb").glob("offline-run-*")) for job in (0, 1)]
    for run in runs:
        images = list(run.glob("files/media/images/**/*.png"))  # the epoch-end validation and the final one
        assert len(images) == 2
        assert all(np.asarray(Image.open(i).convert("RGB")).std() > 20 for i in images)  # real panels, not black
        log = next(run.glob("run-*.wandb")).read_bytes()
        assert b"optimized_metric" in log  # the resolved config
    assert b"model=mse_cnn" in next(runs[0].glob("run-*.wandb")).read_bytes()  # named by its overrides


def test_optuna_sweep_with_sqlite_storage_records_a_best_value(tmp_path):
    db = tmp_path / "optuna.db"
    args = ["hparams_search=optuna", "hydra.sweeper.n_trials=2", "hydra.sweeper.sampler.n_startup_trials=1",
            f"hydra.sweeper.storage=sqlite:///{db}", "model.pretrain_epochs=0", *TINY, "logger=none"]  # fmt: skip
    out = sweep(tmp_path, *args)
    assert out.returncode == 0, out.stderr[-3000:]
    result = yaml.safe_load((tmp_path / "sweep" / "optimization_results.yaml").read_text())
    assert 0 < float(result["best_value"]) < 200 and "model.lambda_l1" in result["best_params"]  # val/de00_cf
    assert db.stat().st_size > 0


@pytest.mark.slow  # kept out of the default run (suite time); run with -m slow
def test_multirun_with_subprocess_ddp_is_refused_before_training(tmp_path):
    out = sweep(tmp_path, "trainer=ddp", "trainer.accelerator=cpu", "seed=0,1", *TINY, "logger=none")
    assert out.returncode != 0
    assert "different sweep point" in out.stderr and "start_method=spawn" in out.stderr
    assert "Traceback" not in out.stderr
    assert not list((tmp_path / "sweep").rglob("*.ckpt"))


def test_slurm_launcher_composes_from_the_trainer(tmp_path):
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF_DIR)):
        cfg = compose(
            "train",
            overrides=["hydra/launcher=slurm", "trainer=ddp", "trainer.devices=4", "trainer.num_nodes=2"],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert "submitit" in launcher._target_.lower()
    assert (launcher.nodes, launcher.tasks_per_node, launcher.gpus_per_node) == (2, 4, 4)


def test_the_wandb_sweep_file_names_real_settings(tmp_path):
    spec = yaml.safe_load((ROOT / "experiments" / "wandb_sweep.yaml").read_text())
    assert spec["metric"]["name"] == FALLBACK_KEY  # what selection_metric=auto picks without FID weights
    overrides = []
    for key, space in spec["parameters"].items():
        value = space["values"][0] if "values" in space else space["min"]
        overrides.append(f"{key}={value}")
    compose_cfg(tmp_path, overrides)  # every swept key exists in the config


def test_two_process_cpu_ddp_trains_and_its_checkpoint_colorizes(tmp_path):
    run = tmp_path / "ddp"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled"}
    cmd = [sys.executable, "-m", "colorgan.train", "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2",
           "model.pretrain_epochs=1", "trainer.max_epochs=2", "data.repeat=4", *FAST,
           f"hydra.run.dir={run}"]  # fmt: skip
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert len(list((run / "samples").glob("*.png"))) == 2  # once per validation, not once per rank
    from colorgan.colorize import main as colorize_main

    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((40, 60, 3), 120, np.uint8)).save(photo)
    assert (
        colorize_main(["--ckpt", str(run / "checkpoints" / "last.ckpt"), str(photo), "--out", str(tmp_path / "out")])
        == 0
    )
