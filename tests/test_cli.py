"""The command line as users type it, in a fresh process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return run_module("colorgan.train", *args)


def test_train_fast_dev_run_from_the_command_line(tmp_path):
    out = run_cli(
        "model=mse_cnn",
        "trainer.fast_dev_run=true",
        "logger=none",
        "data.image_size=64",
        "data.num_workers=0",
        f"hydra.run.dir={tmp_path}",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / ".hydra" / "config.yaml").is_file()
    assert list((tmp_path / "samples").glob("*.png"))


def test_folder_without_root_is_one_clear_error(tmp_path):
    out = run_cli("data=folder", "logger=none", f"hydra.run.dir={tmp_path}")
    assert out.returncode != 0
    assert "data.root" in out.stderr and "Traceback" not in out.stderr


def run_module(module: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled"}
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_evaluate_names_a_missing_checkpoint_without_a_traceback(tmp_path):
    out = run_module("colorgan.evaluate", f"ckpt_path={tmp_path / 'gone.ckpt'}", f"hydra.run.dir={tmp_path}")
    assert out.returncode != 0 and "gone.ckpt" in out.stderr and "Traceback" not in out.stderr
    out = run_module("colorgan.compare", f"hydra.run.dir={tmp_path}")
    assert out.returncode != 0 and "ckpts" in out.stderr and "Traceback" not in out.stderr
