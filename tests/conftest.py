"""Shared test helpers: offline environment, composed configs, real photos from scikit-image."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

# No network in tests: timm must not try the hub, W&B must not try to log in.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "disabled")
# Caches (the precision probe, the dataset index, zhang16's ab prior): never the user's own (inherited by
# subprocesses).
os.environ["COLORGAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="colorgan-test-cache-")

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "conf"
MODELS = ("gan", "pix2pix", "mse_cnn", "fusion", "zhang16")

# Small but real: what every model config needs to run quickly on a CPU.
FAST = [
    "trainer.accelerator=cpu",
    "data.image_size=64",
    "data.batch_size=2",
    "data.num_workers=0",
    "data.repeat=1",
    "logger=none",
    "trainer.precision=32-true",  # trainer.precision=auto (the probe) has its own tests: test_precision.py
]
FAST_MODEL = {
    "gan": ["model.pretrain_epochs=0"],
    "pix2pix": ["model.generator.num_downs=6"],
    "mse_cnn": [],
    "fusion": ["model.generator.classifier=resnet18"],
    "zhang16": ["model.generator.base_channels=8"],  # the paper's layer table at 1/8 of its widths
}


def run_module(module: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m module args`` in a fresh process (offline, no W&B unless ``env`` says otherwise)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def compose_cfg(output_dir: Path, overrides: list[str] = ()) -> DictConfig:
    """The train config as the command line would build it, writing below ``output_dir``."""
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF_DIR)):
        return compose("train", overrides=[f"paths.output_dir={output_dir}", *overrides])


def photo(name: str = "chelsea", size: int | None = None) -> np.ndarray:
    """A real colour photograph (H, W, 3) uint8 from scikit-image, optionally center-cropped square."""
    img = getattr(skimage.data, name)()
    if size is not None:
        h, w = img.shape[:2]
        s = min(h, w)
        img = img[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
        img = np.asarray(
            torch.nn.functional.interpolate(
                torch.from_numpy(img).permute(2, 0, 1)[None].float(), size=(size, size), mode="area"
            )[0]
            .permute(1, 2, 0)
            .round()
            .clamp(0, 255)
            .byte()
        )
    return img


@pytest.fixture
def photo_batch() -> dict:
    """A fixed batch of 4 real 64x64 photos: ``{"rgb": uint8 (4, 3, 64, 64)}``."""
    rgb = np.stack([photo(n, 64) for n in ("chelsea", "coffee", "astronaut", "rocket")])
    return {"rgb": torch.from_numpy(rgb).permute(0, 3, 1, 2).contiguous()}


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """A one-step checkpoint of every model, trained through train() on the sample photos."""
    from colorgan.train import train

    paths = {}
    for model in MODELS:
        run = tmp_path_factory.mktemp(f"run_{model}")
        overrides = [f"model={model}", *FAST, *FAST_MODEL[model], "trainer.max_steps=1", "trainer.limit_val_batches=1"]
        train(compose_cfg(run, overrides))
        paths[model] = run / "checkpoints" / "last.ckpt"
    return paths


@pytest.fixture(scope="session")
def ambiguous_runs(tmp_path_factory) -> list[Path]:
    """Two 2-step mse_cnn runs (seeds 0 and 1) on data=ambiguous at 32 px, with metrics.csv (logger=csv)."""
    from colorgan.train import train

    runs = []
    for seed in (0, 1):
        run = tmp_path_factory.mktemp(f"ambiguous_seed{seed}")
        overrides = ["model=mse_cnn", "data=ambiguous", *[o for o in FAST if not o.startswith("data.repeat")]]
        overrides += ["data.image_size=32", "data.train_size=8", "data.val_size=2", f"seed={seed}", "logger=csv"]
        train(compose_cfg(run, [*overrides, "trainer.max_steps=2", "trainer.log_every_n_steps=1"]))
        runs.append(run)
    return runs


@pytest.fixture(scope="session")
def hint_run(tmp_path_factory) -> Path:
    """A run of gan with hints=random: one step on the sample photos at 32 px, validated (RUN/metrics.csv)."""
    from colorgan.train import train

    run = tmp_path_factory.mktemp("hint_run")
    overrides = ["hints=random", *FAST, "logger=csv", "model.pretrain_epochs=0", "data.image_size=32"]
    train(compose_cfg(run, [*overrides, "trainer.max_steps=1", "trainer.limit_val_batches=1"]))
    return run
