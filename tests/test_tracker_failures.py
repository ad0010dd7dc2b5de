"""Tracker failures: W&B unreachable, misconfigured or failing mid-run never stops training, and
the run's own files (checkpoints, samples, metrics.csv) are always written."""

from __future__ import annotations

import logging

import pytest
import wandb

from colorgan.train import train
from tests.conftest import FAST, compose_cfg, run_module


def run_with_wandb(tmp_path):
    cfg = compose_cfg(tmp_path, [*FAST, "model=mse_cnn", "logger=wandb", "trainer.max_epochs=2"])
    value = train(cfg)
    assert value is not None and (tmp_path / "checkpoints" / "last.ckpt").is_file()
    assert len(list((tmp_path / "samples").glob("*.png"))) == 2
    assert (tmp_path / "metrics.csv").read_text().count("\n") > 2
    return value


@pytest.mark.slow  # kept out of the default run (suite time); run with -m slow
def test_an_unreachable_wandb_server_falls_back_to_offline(tmp_path):
    # a fresh process: wandb reads its environment once per process
    unreachable = {
        "WANDB_MODE": "online",
        "WANDB_API_KEY": "0" * 40,
        "WANDB_BASE_URL": "http://127.0.0.1:9",  # nothing listens there
        "WANDB_INIT_TIMEOUT": "3",
    }
    overrides = [*FAST, "model=mse_cnn", "logger=wandb", "trainer.max_epochs=2", f"hydra.run.dir={tmp_path}"]
    out = run_module("colorgan.train", *overrides, env=unreachable)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert "W&B: the run could not start (CommError" in log and "continuing with W&B offline" in log
    assert list((tmp_path / "wandb").glob("offline-run-*"))  # for `wandb sync` later
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file() and len(list((tmp_path / "samples").glob("*.png"))) == 2
    assert (tmp_path / "metrics.csv").read_text().count("\n") > 2


def test_wandb_failing_mid_run_is_reported_once_and_training_goes_on(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("WANDB_MODE", "offline")
    calls = []
    real_log = wandb.sdk.wandb_run.Run.log

    def dies_after_two(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise wandb.errors.CommError("the W&B service process is gone")
        return real_log(self, *args, **kwargs)

    monkeypatch.setattr(wandb.sdk.wandb_run.Run, "log", dies_after_two)
    with caplog.at_level(logging.WARNING):
        run_with_wandb(tmp_path)
    assert len(calls) > 3  # it kept being called, and kept failing
    warnings = [r.message for r in caplog.records if "W&B: log_metrics failed" in r.message]
    assert len(warnings) == 1 and "service process is gone" in warnings[0]


def test_a_wandb_that_cannot_even_start_offline_is_disabled(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    real_init = wandb.init

    def broken_init(*args, **kwargs):
        if kwargs.get("mode") != "disabled":
            raise PermissionError("read-only file system: wandb/")
        return real_init(*args, **kwargs)

    monkeypatch.setattr(wandb, "init", broken_init)
    run_with_wandb(tmp_path)  # nothing else was lost
    assert not list((tmp_path / "wandb").glob("*run-*"))
