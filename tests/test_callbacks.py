import numpy as np
import torch
from PIL import Image

from colorgan.evaluation.grids import image_grid
from colorgan.train import train
from colorgan.training.loggers import wandb_credentials_found, wandb_logger
from tests.conftest import FAST, compose_cfg


def test_grid_puts_images_in_rows_and_versions_in_columns():
    colors = [torch.tensor(c).view(1, 3, 1, 1).expand(2, 3, 8, 8) for c in ([1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0])]
    grid = image_grid(colors, padding=2)
    assert grid.dtype == np.uint8 and grid.shape == (2 * 10 + 2, 3 * 10 + 2, 3)
    for row in range(2):
        for col, expected in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
            assert tuple(grid[2 + row * 10 + 4, 2 + col * 10 + 4]) == expected


def test_credentials_come_from_the_key_or_netrc(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    assert not wandb_credentials_found()
    (tmp_path / "netrc").write_text("machine api.wandb.ai\n  login user\n  password abc\n")
    (tmp_path / "netrc").chmod(0o600)
    assert wandb_credentials_found()
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert wandb_credentials_found()


def test_wandb_without_an_account_logs_offline_with_real_images_and_the_config(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    run = tmp_path / "run"
    cfg = compose_cfg(
        run, [*FAST, "model=mse_cnn", "logger=wandb", "trainer.max_steps=2", "trainer.limit_val_batches=1"]
    )
    train(cfg)
    (offline,) = (run / "wandb").glob("offline-run-*")
    images = list(offline.glob("files/media/images/**/*.png"))
    assert images
    pixels = np.asarray(Image.open(images[0]).convert("RGB"))
    assert pixels.mean() > 40 and pixels.std() > 20  # a real grid, not the all-black float bug
    # wandb 0.31 keeps an offline run's config inside its protobuf log until `wandb sync`
    (log,) = offline.glob("run-*.wandb")
    assert b"optimized_metric" in log.read_bytes() and b"RegressionColorizer" in log.read_bytes()
    assert (run / "metrics.csv").is_file()  # the local record is kept beside W&B


def test_a_resumed_run_continues_its_wandb_run(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert wandb_logger(str(tmp_path))._wandb_init.get("id") is None  # a fresh run directory
    (tmp_path / "wandb" / "offline-run-20261122_061500-k3x9q2ab").mkdir(parents=True)
    (tmp_path / "wandb" / "latest-run").symlink_to("offline-run-20261122_061500-k3x9q2ab")
    logger = wandb_logger(str(tmp_path))
    assert (logger._wandb_init["id"], logger._wandb_init["resume"]) == ("k3x9q2ab", "allow")
