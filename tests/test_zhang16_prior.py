"""zhang16's prior from the training data (counted once, cached, the same under DDP) and its checkpoints."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from pytorch_lightning.strategies import SingleDeviceStrategy
from skimage.color import rgb2lab

from colorgan.color import ab_bins
from colorgan.data.samples import sample_photos
from colorgan.models.base import MODEL_CONFIG_KEY
from colorgan.train import train
from colorgan.training import ab_prior
from colorgan.training.checkpoint import load_colorizer, read_checkpoint
from tests.conftest import FAST, FAST_MODEL, ROOT, compose_cfg

ZHANG = ["model=zhang16", *FAST, *FAST_MODEL["zhang16"]]


def test_the_pass_counts_every_4th_pixel_in_its_nearest_bin(tmp_path):
    Image.new("RGB", (80, 64), (200, 50, 50)).save(tmp_path / "red.png")
    bins = ab_bins.gamut_bins()
    counts = ab_prior.count_pixels([tmp_path / "red.png"], bins, image_size=64)
    a, b = rgb2lab(np.array([[[200, 50, 50]]], np.uint8))[0, 0, 1:]  # 57.0, 37.4 -> the bin (60, 40)
    nearest = int(((bins - torch.tensor([a, b], dtype=torch.float32)) ** 2).sum(1).argmin())
    assert bins[nearest].tolist() == [60.0, 40.0]
    assert counts[nearest] == 16 * 16 and counts.sum() == 16 * 16  # 64x64 crop, stride 4


def test_the_prior_is_counted_once_then_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORGAN_CACHE_DIR", str(tmp_path / "cache"))
    files = sample_photos()[0]  # the training photos
    bins, strategy = ab_bins.gamut_bins(), SingleDeviceStrategy(device="cpu")
    first = ab_prior.training_counts(files, bins, 32, strategy, batch_size=2, workers=0)
    assert first.sum() == len(files) * 8 * 8
    (cached,) = (tmp_path / "cache" / "ab_prior").glob("*.npy")

    def no_second_pass(*args, **kwargs):
        raise AssertionError("counted again")

    monkeypatch.setattr(ab_prior, "count_pixels", no_second_pass)
    torch.testing.assert_close(ab_prior.training_counts(files, bins, 32, strategy, 2, 0), first)
    with pytest.raises(AssertionError, match="counted again"):  # another file list is another prior
        ab_prior.training_counts(files[:3], bins, 32, strategy, 2, 0)
    assert ab_prior.cache_path(files, bins, 32) == cached != ab_prior.cache_path(files, bins, 64)


def test_the_checkpoint_carries_bins_and_prior_and_needs_no_file(tmp_path):
    bins_file, prior_file = tmp_path / "pts_in_hull.npy", tmp_path / "prior_probs.npy"
    np.save(bins_file, ab_bins.gamut_bins().numpy().astype(np.float64))
    prior = np.random.default_rng(0).random(313)
    np.save(prior_file, prior)
    run = tmp_path / "run"
    overrides = [f"model.bins_file={bins_file}", f"model.prior_file={prior_file}", "trainer.max_steps=2"]
    steps = ["trainer.limit_train_batches=2", "trainer.limit_val_batches=1", "optimized_metric=val/auc_rebalanced"]
    assert 0 < train(compose_cfg(run, [*ZHANG, *overrides, *steps])) <= 1  # validation rebalances with its prior
    bins_file.unlink()
    prior_file.unlink()
    ckpt = run / "checkpoints" / "last.ckpt"
    config = read_checkpoint(ckpt)[MODEL_CONFIG_KEY]
    assert config["bins_file"] is None and len(config["bins"]) == 313
    colorizer = load_colorizer(ckpt)
    torch.testing.assert_close(colorizer.prior.double(), torch.from_numpy(prior / prior.sum()), rtol=1e-6, atol=0)
    torch.testing.assert_close(colorizer.bins, ab_bins.gamut_bins())
    assert colorizer(torch.zeros(1, 1, 24, 24)).shape == (1, 2, 24, 24)


@pytest.mark.slow  # ~70-100 s on 2 CPU cores: two processes start, count and train
def test_ddp_ranks_share_the_count_and_reach_the_single_process_prior(tmp_path):
    run = tmp_path / "ddp"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled", "COLORGAN_CACHE_DIR": str(tmp_path / "c")}
    cmd = [sys.executable, "-m", "colorgan.train", "trainer=ddp", "trainer.devices=2", *ZHANG,
           "trainer.max_steps=2", "trainer.limit_val_batches=1", f"hydra.run.dir={run}"]  # fmt: skip
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "5 training images (3 per rank)" in out.stdout  # split over the 2 ranks
    colorizer = load_colorizer(run / "checkpoints" / "last.ckpt")
    files = sample_photos()[0]  # the training photos
    counts = ab_prior.count_pixels(files, colorizer.bins, image_size=64)
    torch.testing.assert_close(colorizer.prior, ab_bins.smooth_prior(counts, colorizer.bins).float())
    (cached,) = (tmp_path / "c" / "ab_prior").glob("*.npy")  # written once, by rank 0
    torch.testing.assert_close(torch.from_numpy(np.load(cached)), counts)


def test_a_resumed_run_keeps_its_prior_and_schedule_and_colorizes(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORGAN_CACHE_DIR", str(tmp_path / "cache"))
    run = tmp_path / "run"
    drops = "model.scheduler={_target_:colorgan.models.schedules.rate_drops,_partial_:true,milestones:[3],rates:[1e-5]}"
    steps = [drops, "trainer.limit_train_batches=2", "trainer.limit_val_batches=1"]
    train(compose_cfg(run, [*ZHANG, *steps, "trainer.max_epochs=1"]))
    first = read_checkpoint(run / "checkpoints" / "last.ckpt")

    def no_second_pass(*args, **kwargs):
        raise AssertionError("the prior was counted again")

    monkeypatch.setattr(ab_prior, "count_pixels", no_second_pass)  # the cache serves the resumed run
    train(compose_cfg(run, [*ZHANG, *steps, "trainer.max_epochs=2", "ckpt_path=last"]))
    ckpt = read_checkpoint(run / "checkpoints" / "last.ckpt")
    assert ckpt["global_step"] == 4 and ckpt["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(1e-5)
    torch.testing.assert_close(ckpt["state_dict"]["prior"], first["state_dict"]["prior"])
    from colorgan.inference import colorize_image
    from tests.conftest import photo

    out = colorize_image(load_colorizer(run / "checkpoints" / "last.ckpt"), Image.fromarray(photo("coffee", 90)))
    assert out.size == (90, 90)


def test_training_photos_that_are_not_here_ask_for_a_prior_file(tmp_path):
    """data=streaming lists the photos it was prepared from; on another machine they are not there, and
    the prior pass would stop after 17 unreadable files with a traceback instead of saying what to do."""
    from types import SimpleNamespace

    from colorgan.errors import ConfigError
    from colorgan.models.build import build_model

    model = build_model(compose_cfg(tmp_path, ZHANG).model)
    data = SimpleNamespace(train_files=[tmp_path / "elsewhere" / "a.jpg"], image_size=32, batch_size=2, num_workers=0)
    trainer = SimpleNamespace(datamodule=data, strategy=None)
    with pytest.raises(ConfigError, match="elsewhere/a.jpg is not here.*model.prior_file"):
        ab_prior.ABPriorPass().setup(trainer, model, "fit")
