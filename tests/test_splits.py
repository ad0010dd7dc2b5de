"""Train / val / test splits: disjoint, stable as photos are added, recorded, and respected by training."""

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from colorgan.data import FolderDataModule
from colorgan.data.fingerprints import file_keys, found_in
from colorgan.data.images import find_images
from colorgan.data.split import SPLITS, file_split, hash_split, layout_split
from colorgan.models.base import META_KEY
from colorgan.training.checkpoint import read_checkpoint
from tests.conftest import FAST, compose_cfg, photo


def names(files: list[Path]) -> set[str]:
    return {f.name for f in files}


def test_hash_split_is_disjoint_deterministic_and_stable_when_photos_are_added(tmp_path):
    files = [tmp_path / f"{i:03d}.jpg" for i in range(400)]
    split = hash_split(files, tmp_path, 0.1, 0.1, seed=0)
    parts = [set(split.files(s)) for s in SPLITS]
    assert sum(map(len, parts)) == 400 and set().union(*parts) == set(files)
    assert all(20 <= len(p) for p in parts[1:])  # about 40 each
    assert hash_split(files, tmp_path, 0.1, 0.1, seed=0) == split
    grown = hash_split(files + [tmp_path / f"new{i}.jpg" for i in range(100)], tmp_path, 0.1, 0.1, seed=0)
    for s in SPLITS:  # every old photo keeps its split: a growing collection never leaks test into train
        assert set(split.files(s)) <= set(grown.files(s))
    assert hash_split(files, tmp_path, 0.1, 0.1, seed=1).test != split.test


def test_hash_split_gives_tiny_folders_a_val_and_a_test_photo(tmp_path):
    split = hash_split([tmp_path / f"{c}.png" for c in "abc"], tmp_path, 0.05, 0.05)
    assert [len(split.files(s)) for s in SPLITS] == [1, 1, 1]
    with pytest.raises(ValueError, match="test_fraction"):
        hash_split([], tmp_path, 0.5, 0.6)


def write_photos(folder: Path, count: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        paths.append(folder / f"p{i:02d}.png")
        Image.fromarray(photo(("chelsea", "coffee", "astronaut", "rocket")[i % 4], 40)).save(paths[-1])
    return paths


def test_layout_subfolders_are_used_as_given_and_a_missing_test_folder_is_carved_from_train(tmp_path):
    train = write_photos(tmp_path / "train", 30)
    val = write_photos(tmp_path / "valid", 2, start=30)
    split = layout_split(tmp_path, find_images, 0.05, 0.1)
    assert set(split.val) == set(val) and split.test and set(split.train) | set(split.test) == set(train)
    assert split.rule["folders"] == {"train": "train", "val": "valid"} and "test" in split.rule["carved_from_train"]
    assert layout_split(tmp_path / "train", find_images, 0.05, 0.05) is None  # no train/ below: not this rule


def test_a_runs_split_json_reproduces_its_split(tmp_path):
    root = tmp_path / "photos"
    write_photos(root, 12)
    dm = FolderDataModule(root=str(root), val_fraction=0.2, test_fraction=0.2, num_workers=0, decode_check=False)
    (tmp_path / "split.json").write_text(json.dumps(dm.split_record()))
    again = FolderDataModule(root=str(root), split_file=str(tmp_path / "split.json"), num_workers=0)
    assert again.split_record() | {"rule": None} == dm.split_record() | {"rule": None}
    assert again.split_record()["rule"]["kind"] == "file"
    (tmp_path / "split.json").write_text(json.dumps({"train": ["p00.png", "gone.png"]}))
    with pytest.raises(FileNotFoundError, match="gone.png"):
        file_split(root, tmp_path / "split.json")


def test_fingerprints_find_the_same_photo_below_another_root(tmp_path):
    a = write_photos(tmp_path / "a", 3)
    b = write_photos(tmp_path / "copy" / "nested", 3)  # same names and bytes: the same photos
    other = tmp_path / "other.png"
    Image.fromarray(photo("rocket", 50)).save(other)
    assert found_in(b + [other], file_keys(a)) == b


def test_training_records_its_split_and_never_trains_on_test(tmp_path):
    from colorgan.train import train

    root = tmp_path / "photos"
    write_photos(root, 16)
    run = tmp_path / "run"
    overrides = [*FAST, "data=folder", f"data.root={root}", "data.val_fraction=0.2", "data.test_fraction=0.2",
                 "data.decode_check=false", "trainer.max_steps=2", "trainer.limit_val_batches=1",
                 "model.pretrain_epochs=0"]  # fmt: skip
    train(compose_cfg(run, overrides))
    record = json.loads((run / "split.json").read_text())
    assert record["rule"]["kind"] == "hash" and sum(len(record[s]) for s in SPLITS) == 16
    assert record["test"] and not set(record["test"]) & set(record["train"] + record["val"])
    meta = read_checkpoint(run / "checkpoints" / "last.ckpt")[META_KEY]["split"]
    assert meta["counts"] == {s: len(record[s]) for s in SPLITS}
    assert torch.equal(meta["train_keys"], file_keys([root / p for p in record["train"]]))
