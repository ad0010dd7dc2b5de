"""Kill and resume: a run killed at any moment continues from last.ckpt to the same end."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from colorgan.data.datasets import ImageFileDataset, collate_readable
from colorgan.data.sampler import PADDING, ResumableSampler
from colorgan.train import train
from colorgan.training.resume import AtomicCheckpointIO, find_resume_checkpoint
from tests.conftest import FAST, compose_cfg

ROOT = Path(__file__).resolve().parents[1]
STEPS_PER_EPOCH = 10  # 5 sample photos x repeat 4 / batch 2
EPOCHS = 3
# linear_decay(constant 1, decay 3) is stepped at the end of each GAN epoch (not while pretraining); the
# final last.ckpt is written at the last validation, before the last step: one step, 2e-4 * (1 - 1/4)
FINAL_LR = 1.5e-4


def generator_lr(ckpt: dict) -> float:
    return ckpt["optimizer_states"][0]["param_groups"][0]["lr"]


def train_command(run: Path, *extra: str) -> list[str]:
    """A small GAN run (1 L1 epoch, 2 GAN epochs, a per-epoch LR schedule) that resumes from ckpt_path=last."""
    return [
        sys.executable, "-m", "colorgan.train",
        "trainer.accelerator=cpu", "data.image_size=64", "data.batch_size=2", "data.num_workers=0",
        "data.repeat=4", "logger=csv", "model.pretrain_epochs=1", "model.generator.backbone=resnet10t",
        "model.discriminator.ndf=16", f"trainer.max_epochs={EPOCHS}", "trainer.enable_progress_bar=false",
        "trainer.precision=32-true",
        "model.scheduler_g={_target_:colorgan.models.schedules.linear_decay,_partial_:true,"
        "constant_epochs:1,decay_epochs:3}",
        f"hydra.run.dir={run}", "ckpt_path=last", *extra,
    ]  # fmt: skip


def start(command: list[str], env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled", **(env or {})}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)  # every read must find a whole file


def wait_for_step(path: Path, min_step: int, process: subprocess.Popen, timeout: float = 120) -> int:
    """Poll ``path`` until it holds a checkpoint at ``min_step`` or later; return its step."""
    deadline, seen = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()[-3000:]
        if path.is_file() and path.stat().st_mtime_ns != seen:
            seen = path.stat().st_mtime_ns
            step = load(path)["global_step"]
            if step >= min_step:
                return step
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"no checkpoint at step >= {min_step} within {timeout} s")


def finish(command: list[str], env: dict | None = None) -> str:
    process = start(command, env)
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 0, output[-3000:]
    return output


def assert_finished_like_an_uninterrupted_run(run: Path) -> None:
    """Same final step, epoch and learning rate as a run that was never stopped."""
    ckpt = load(run / "checkpoints" / "last.ckpt")
    assert ckpt["global_step"] == EPOCHS * STEPS_PER_EPOCH  # a replayed epoch would overshoot
    assert ckpt["epoch"] == EPOCHS - 1
    assert generator_lr(ckpt) == pytest.approx(FINAL_LR)
    assert not list((run / "checkpoints").glob(".*.partial"))


def test_sigkill_mid_epoch_then_rerun_reaches_the_same_final_step(tmp_path):
    run = tmp_path / "run"
    command = train_command(run, "callbacks.last_checkpoint.every_n_train_steps=3")
    process = start(command)
    killed_at = wait_for_step(run / "checkpoints" / "last.ckpt", STEPS_PER_EPOCH + 2, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert killed_at % STEPS_PER_EPOCH != 0  # mid-epoch, in the GAN phase

    output = finish(command)
    assert f"resuming from {run / 'checkpoints' / 'last.ckpt'}" in output
    assert_finished_like_an_uninterrupted_run(run)


@pytest.mark.slow  # kept out of the default run (suite time); run with -m slow
def test_slurm_requeue_signal_and_sigterm_save_then_resume(tmp_path):
    """SLURM's warning signal (SIGUSR1): Lightning saves hpc_ckpt_1.ckpt and requeues the job with
    scontrol; the SIGTERM that follows saves last.ckpt. The requeued job resumes from the newest."""
    run, bin_dir = tmp_path / "run", tmp_path / "bin"
    bin_dir.mkdir()
    scontrol = bin_dir / "scontrol"
    scontrol.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "scontrol.args"}\n')
    scontrol.chmod(0o755)
    slurm = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}", "SLURM_JOB_ID": "4242", "SLURM_JOB_NAME": "colorgan",
        "SLURM_NTASKS": "1", "SLURM_NTASKS_PER_NODE": "1", "SLURM_PROCID": "0", "SLURM_LOCALID": "0",
        "SLURM_NODEID": "0", "SLURM_NODELIST": "localhost",
    }  # fmt: skip
    command = train_command(run, "callbacks.last_checkpoint.every_n_train_steps=null", "trainer.devices=1")
    process = start(command, slurm)
    wait_for_step(run / "checkpoints" / "last.ckpt", STEPS_PER_EPOCH, process)  # the end of epoch 0
    process.send_signal(signal.SIGUSR1)
    wait_for_step(run / "hpc_ckpt_1.ckpt", 0, process)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=120)[0]
    assert process.returncode != 0, output[-3000:]
    assert (tmp_path / "scontrol.args").read_text().split() == ["requeue", "4242"], output[-3000:]
    stopped_at = load(run / "checkpoints" / "last.ckpt")["global_step"]
    assert stopped_at >= load(run / "hpc_ckpt_1.ckpt")["global_step"] >= STEPS_PER_EPOCH, output[-3000:]

    output = finish(command, slurm)
    assert "resuming from" in output
    assert_finished_like_an_uninterrupted_run(run)


def test_resuming_from_an_epoch_end_checkpoint_keeps_the_schedule(tmp_path):
    run = tmp_path / "run"
    first = finish([*train_command(run), "trainer.max_epochs=1", "trainer.log_every_n_steps=1"])
    assert "resuming from" not in first and "from scratch" in first
    assert load(run / "checkpoints" / "last.ckpt")["global_step"] == STEPS_PER_EPOCH
    finish([*train_command(run), "trainer.log_every_n_steps=1"])
    assert_finished_like_an_uninterrupted_run(run)
    with open(run / "metrics.csv") as f:  # the first run's rows are kept, the resumed run's appended
        steps = {int(row["step"]) for row in csv.DictReader(f) if row.get("train/g_l1")}
    assert steps == set(range(EPOCHS * STEPS_PER_EPOCH))


class BatchRecorder(pl.Callback):
    """Appends ``epoch path...`` for every training batch to ``file``; Ctrl-C at ``interrupt_at`` steps."""

    def __init__(self, file: str, interrupt_at: int | None = None):
        self.file = file
        self.interrupt_at = interrupt_at

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.interrupt_at:
            raise KeyboardInterrupt
        with open(self.file, "a") as f:
            f.write(f"{trainer.current_epoch} {' '.join(Path(p).name for p in batch['path'])}\n")


def test_a_resumed_epoch_trains_on_the_batches_it_had_not_reached(tmp_path):
    def run(name: str, *extra: str, interrupt_at: int | None = None) -> None:
        recorder = f"{{_target_:{__name__}.BatchRecorder,file:{tmp_path / name},interrupt_at:{interrupt_at}}}"
        overrides = [*FAST, "model=mse_cnn", "data.repeat=4", "trainer.max_epochs=2", f"+callbacks.rec={recorder}"]
        train(compose_cfg(tmp_path / "run", [*overrides, *extra]))

    run("uninterrupted", "paths.output_dir=" + str(tmp_path / "a"))
    with pytest.raises(SystemExit):  # Lightning's answer to Ctrl-C, after last.ckpt is saved
        run("stopped", interrupt_at=13)  # 3 batches into epoch 1
    run("resumed", "ckpt_path=last")
    stopped, resumed = ((tmp_path / n).read_text().splitlines() for n in ("stopped", "resumed"))
    assert len(stopped) == 13 and len(resumed) == 2 * STEPS_PER_EPOCH - 13
    assert stopped + resumed == (tmp_path / "uninterrupted").read_text().splitlines()


class SigtermAtEpochEnd(pl.Callback):
    """Delivers SIGTERM's flag as epoch 0 ends: Lightning stops after its epoch-end bookkeeping."""

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if trainer.current_epoch == 0:
            trainer._signal_connector.received_sigterm = True


def test_sigterm_as_an_epoch_ends_resumes_without_skipping_an_epoch(tmp_path):
    run = tmp_path / "run"
    overrides = [*FAST, "model=mse_cnn", "data.repeat=4", "trainer.max_epochs=3"]
    with pytest.raises(SystemExit):
        train(compose_cfg(run, [*overrides, f"+callbacks.stop={{_target_:{__name__}.SigtermAtEpochEnd}}"]))
    assert load(run / "checkpoints" / "last.ckpt")["global_step"] == STEPS_PER_EPOCH
    train(compose_cfg(run, overrides))
    ckpt = load(run / "checkpoints" / "last.ckpt")
    assert (ckpt["global_step"], ckpt["epoch"]) == (EPOCHS * STEPS_PER_EPOCH, EPOCHS - 1)


def test_an_epoch_end_save_without_validation_resumes_the_next_epoch(tmp_path):
    """With no validation, last.ckpt is written at the epoch's end, before Lightning completes it."""
    run = tmp_path / "run"
    overrides = [*FAST, "model=mse_cnn", "data.repeat=4", "trainer.limit_val_batches=0"]
    train(compose_cfg(run, [*overrides, "trainer.max_epochs=1"]))
    assert load(run / "checkpoints" / "last.ckpt")["global_step"] == STEPS_PER_EPOCH
    train(compose_cfg(run, [*overrides, f"trainer.max_epochs={EPOCHS}"]))
    ckpt = load(run / "checkpoints" / "last.ckpt")
    assert (ckpt["global_step"], ckpt["epoch"]) == (EPOCHS * STEPS_PER_EPOCH, EPOCHS - 1)


def test_an_interrupted_write_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    path = tmp_path / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"global_step": 1}, path)

    def dies_halfway(obj, f):
        f.write(b"\x80\x02half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", dies_halfway)
    with pytest.raises(OSError, match="disk full"):
        io.save_checkpoint({"global_step": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"global_step": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_ckpt_path_last_finds_the_newest_or_starts_fresh(tmp_path):
    assert find_resume_checkpoint("last", tmp_path) is None  # the first run of a requeued job
    (tmp_path / "checkpoints").mkdir()
    last, hpc = tmp_path / "checkpoints" / "last.ckpt", tmp_path / "hpc_ckpt_3.ckpt"
    torch.save({"global_step": 10}, last)
    torch.save({"global_step": 10}, hpc)  # newer file, same step: last.ckpt was saved at a clean point
    assert find_resume_checkpoint("last", tmp_path) == str(last)
    torch.save({"global_step": 11}, hpc)
    assert find_resume_checkpoint("last", tmp_path) == str(hpc)
    hpc.write_bytes(b"damaged")
    assert find_resume_checkpoint("last", tmp_path) == str(last)
    with pytest.raises(FileNotFoundError, match="nope.ckpt"):
        find_resume_checkpoint(str(tmp_path / "nope.ckpt"), tmp_path)


def test_sampler_order_is_fixed_by_seed_and_epoch_and_resumes_mid_epoch():
    sampler = ResumableSampler(10, shuffle=True, seed=3)
    sampler.set_epoch(2)
    epoch2 = list(sampler)
    assert sorted(epoch2) == list(range(10)) and epoch2 == list(sampler)
    sampler.set_epoch(3)
    assert list(sampler) != epoch2
    resumed = ResumableSampler(10, shuffle=True, seed=3)
    resumed.set_epoch(2)
    resumed.resume_at(2, 4)
    assert list(resumed) == epoch2[4:] and list(resumed) == epoch2  # the skip applies once
    assert len(resumed) == 10


@pytest.mark.parametrize("size", [1, 5, 6])
def test_evaluation_shares_are_padded_to_one_length_and_cover_every_item_once(monkeypatch, size):
    """Every DDP rank runs the same number of val batches (DDP's forward and the metric sync are
    collective), also with fewer images than ranks; the padding is an empty item, never a second copy."""
    shares = []
    for rank in range(4):
        monkeypatch.setattr("colorgan.data.sampler._rank_and_world", lambda r=rank: (r, 4))
        shares.append(list(ResumableSampler(size, shuffle=False, even=False)))
    assert len({len(share) for share in shares}) == 1 and len(shares[0]) == -(-size // 4)
    items = [i for share in shares for i in share if i != PADDING]
    assert sorted(items) == list(range(size))
    dataset = ImageFileDataset([Path("unused.png")], lambda image: image)
    batch = collate_readable([dataset[PADDING]])
    assert batch["rgb"].shape[0] == 0 and batch["unreadable"] == []
