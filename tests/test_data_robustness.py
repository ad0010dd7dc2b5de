"""Folders reached through symlinks are scanned (once each, cycles end), and an image that breaks after
indexing is left out of scores and counted, never replaced by another (which would score a photo twice)."""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from PIL import Image

import colorgan.data.datasets
import colorgan.data.images
from colorgan.data import FolderDataModule
from colorgan.data.walk import find_images, list_images
from colorgan.evaluate import evaluate
from colorgan.train import train
from tests.conftest import FAST, compose_cfg, photo
from tests.test_evaluate import FAST_EVAL, compose_named, photo_folder  # noqa: F401 - a fixture

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "hubble_deep_field", "immunohistochemistry")


def save(path: Path, name: str = "chelsea", size: int = 48) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo(name, size)).save(path)
    return path


def test_symlinked_folders_are_followed_and_each_real_folder_is_listed_once(tmp_path):
    root, elsewhere = tmp_path / "photos", tmp_path / "elsewhere"
    save(root / "real" / "a.png")
    save(root / "top.png", "rocket")  # beside the loop's target: must not come back as real/loop/top.png
    save(elsewhere / "b.png", "coffee")
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)  # outside the root: followed
    (root / "0alias").symlink_to(root / "real", target_is_directory=True)  # a second path: its own path wins
    (root / "real" / "loop").symlink_to(root, target_is_directory=True)  # a cycle: must end
    (root / "real" / "self").symlink_to(".", target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "gone", target_is_directory=True)
    assert find_images(root) == [root / "linked" / "b.png", root / "real" / "a.png", root / "top.png"]
    assert list_images(root)[0] == ["linked/b.png", "real/a.png", "top.png"]  # data=folder's index: the same walk


def test_a_symlinked_root_and_a_linked_folder_inside_a_linked_folder(tmp_path):
    save(tmp_path / "store" / "x" / "a.png")
    save(tmp_path / "more" / "b.png")
    (tmp_path / "store" / "x" / "more").symlink_to(tmp_path / "more", target_is_directory=True)
    (tmp_path / "root").symlink_to(tmp_path / "store", target_is_directory=True)
    root = tmp_path / "root"
    assert find_images(root) == [root / "x" / "a.png", root / "x" / "more" / "b.png"]
    assert all(os.path.commonpath([p, root]) == str(root) for p in find_images(root))  # paths below root
    assert list_images(root)[0] == ["x/a.png", "x/more/b.png"]


@pytest.fixture
def folder_with_val(tmp_path) -> FolderDataModule:
    root = tmp_path / "photos"
    for name in PHOTOS:
        save(root / f"{name}.png", name, 48)
    datamodule = FolderDataModule(str(root), val_fraction=0.5, image_size=32, batch_size=4, num_workers=0)
    datamodule.setup()
    assert len(datamodule.val_files) >= 2
    return datamodule


def test_an_unreadable_validation_image_is_left_out_and_named_not_replaced(folder_with_val, caplog):
    broken = folder_with_val.val_files[0]
    broken.unlink()  # after indexing: the network disk went away
    with caplog.at_level(logging.WARNING):
        batches = list(folder_with_val.val_dataloader())
    paths = [p for b in batches for p in b["path"]]
    assert sorted(paths) == sorted(map(str, folder_with_val.val_files[1:]))  # each readable photo once
    assert sum(b["rgb"].shape[0] for b in batches) == len(paths)
    assert [p for b in batches for p in b["unreadable"]] == [str(broken)]
    assert any(broken.name in r.message for r in caplog.records)


class BreakAValidationImage(pl.Callback):
    """Deletes the first validation file once training has started (i.e. after the data check)."""

    def on_train_start(self, trainer, pl_module) -> None:
        trainer.datamodule.val_files[0].unlink()


def test_validation_counts_the_unreadable_images(folder_with_val, tmp_path):
    overrides = [*FAST, "model=mse_cnn", "data=folder", f"data.root={folder_with_val.root}", "data.val_fraction=0.5",
                 "data.image_size=32", "data.batch_size=4", "trainer.max_steps=1", "trainer.num_sanity_val_steps=0",
                 "logger=csv", f"+callbacks.breaker={{_target_:{__name__}.BreakAValidationImage}}"]  # fmt: skip
    train(compose_cfg(tmp_path / "run", overrides))
    with open(tmp_path / "run" / "metrics.csv") as f:
        counts = [float(r["val/unreadable_images"]) for r in csv.DictReader(f) if r.get("val/unreadable_images")]
    assert counts == [1.0]


def test_evaluate_leaves_an_unreadable_image_out_and_says_so(checkpoints, photo_folder, tmp_path, monkeypatch):  # noqa: F811
    real_open = colorgan.data.images.open_image

    def open_image(path, *args, **kwargs):  # coffee.png breaks after indexing
        if Path(path).name == "coffee.png":
            raise OSError("input/output error")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(colorgan.data.images, "open_image", open_image)  # how the evaluation transform reads
    run = tmp_path / "eval"
    overrides = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={photo_folder}", "split=all", *FAST_EVAL]
    record = evaluate(compose_named("evaluate", run, overrides))
    assert record["n_images"] == 4 and [Path(p).name for p in record["unreadable_images"]] == ["coffee.png"]
    assert "1 unreadable images left out" in (run / "metrics.md").read_text()


def test_collate_of_a_batch_with_nothing_readable():
    batch = colorgan.data.datasets.collate_readable([{"path": "a.png", "error": "gone"}])
    assert batch["rgb"].shape[0] == 0 and batch["rgb"].dtype == torch.uint8 and batch["unreadable"] == ["a.png"]
