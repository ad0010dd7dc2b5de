"""The command line as users type it, in a fresh process."""

import subprocess

import pytest
import torch

from colorgan.cli import run_task
from colorgan.train import train
from tests.conftest import FAST, compose_cfg, run_module


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


def test_evaluate_names_a_missing_checkpoint_without_a_traceback(tmp_path):
    out = run_module("colorgan.evaluate", f"ckpt_path={tmp_path / 'gone.ckpt'}", f"hydra.run.dir={tmp_path}")
    assert out.returncode != 0 and "gone.ckpt" in out.stderr and "Traceback" not in out.stderr
    out = run_module("colorgan.compare", f"hydra.run.dir={tmp_path}")
    assert out.returncode != 0 and "ckpts" in out.stderr and "Traceback" not in out.stderr


def test_unknown_options_and_foreign_checkpoints_get_one_message_and_a_nonzero_exit(tmp_path):
    out = run_cli("trainer.max_epochz=1", f"hydra.run.dir={tmp_path}")
    assert out.returncode != 0 and "max_epochz" in out.stderr and "Traceback" not in out.stderr
    foreign = tmp_path / "resnet18.pth"  # another program's file: a bare state_dict
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, foreign)
    for module in ("colorgan.train", "colorgan.evaluate"):
        out = run_module(module, f"ckpt_path={foreign}", f"hydra.run.dir={tmp_path / module}")
        assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
        assert f"error: {foreign}: not a colorgan checkpoint" in out.stderr


def test_resuming_with_another_model_is_refused_naming_both(tmp_path, checkpoints):
    gan = checkpoints["gan"]
    for overrides, expected in (
        (["model=mse_cnn"], "holds a GANColorizer with a ResNetUNet generator but this command builds a "
                            "RegressionColorizer with a PlainCNN generator"),
        (["model.generator.backbone=resnet10t"], "its weights do not fit the model this command builds"),
    ):  # fmt: skip
        cfg = compose_cfg(tmp_path, [*FAST, *overrides, f"ckpt_path={gan}"])
        with pytest.raises(SystemExit) as stop:
            run_task(train, cfg)
        assert str(stop.value).startswith(f"error: {gan}") and expected in str(stop.value)
