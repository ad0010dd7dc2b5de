"""The dataset index: built once, re-checking only new or changed files, compact, shared across ranks."""

from __future__ import annotations

import logging
import os
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from colorgan.data import FolderDataModule, index, scan
from colorgan.data.datasets import ImageFileDataset
from colorgan.data.file_table import FileTable
from colorgan.data.index import build_index, index_path
from tests.conftest import photo

LIMITS = {"max_pixels": 150_000_000, "min_side": 32, "exclude_grayscale": True, "decode": True}


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "photos"
    (root / "a").mkdir(parents=True)
    for i, name in enumerate(("chelsea", "coffee", "astronaut")):
        Image.fromarray(photo(name, 64)).save(root / ("a" if i else "") / f"{name}.jpg")
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    return root


@pytest.fixture
def checked(monkeypatch):
    """The files the data check opens, in order."""
    seen, real = [], scan.problem

    def recording(path, **limits):
        seen.append(path.name)
        return real(path, **limits)

    monkeypatch.setattr(scan, "problem", recording)
    return seen


def test_an_added_or_changed_photo_is_the_only_file_rechecked(folder, tmp_path, checked):
    cache = tmp_path / "cache"
    first = build_index(folder, LIMITS, workers=0, cache=cache)
    assert sorted(checked) == ["astronaut.jpg", "broken.jpg", "chelsea.jpg", "coffee.jpg"] and first.checked == 4
    assert [p.name for p, _ in first.skipped] == ["broken.jpg"]

    checked.clear()
    Image.fromarray(photo("rocket", 64)).save(folder / "a" / "rocket.jpg")
    second = build_index(folder, LIMITS, workers=0, cache=cache)
    assert checked == ["rocket.jpg"] and second.checked == 1
    assert [p.name for p in second.usable] == ["astronaut.jpg", "coffee.jpg", "rocket.jpg", "chelsea.jpg"]
    assert second.skipped == first.skipped  # the broken file's verdict came from the cache

    checked.clear()
    stat = (folder / "chelsea.jpg").stat()
    os.utime(folder / "chelsea.jpg", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # edited
    (folder / "a" / "coffee.jpg").unlink()
    third = build_index(folder, LIMITS, workers=0, cache=cache)
    assert checked == ["chelsea.jpg"] and len(third.files) == 4

    checked.clear()
    build_index(folder, {**LIMITS, "min_side": 100}, workers=0, cache=cache)  # other settings: other verdicts
    assert len(checked) == 4


def test_no_cache_writes_nothing_and_the_default_lives_in_the_user_cache(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("COLORGAN_CACHE_DIR", str(tmp_path / "user"))
    build_index(folder, LIMITS, workers=0, cache=None)
    assert not (tmp_path / "user").exists()
    build_index(folder, LIMITS, workers=0, cache="auto")
    path = index_path(folder, LIMITS, "auto")
    assert path.is_file() and path.parent == tmp_path / "user" / "index"


def test_a_second_datamodule_on_the_same_folder_checks_nothing(folder, tmp_path, checked):
    def module():
        return FolderDataModule(root=str(folder), index_cache=str(tmp_path / "cache"), num_workers=0, image_size=32,
                                report_dir=str(tmp_path / "run"))  # fmt: skip

    first = module()
    first.setup()
    assert len(checked) == 4
    checked.clear()
    again = module()  # a new run, a resume or an evaluate on the same folder
    again.setup()
    assert checked == [] and again.indexed(again.root).checked == 0
    assert [list(again.split.files(s)) for s in ("train", "val", "test")] == [
        list(first.split.files(s)) for s in ("train", "val", "test")
    ]
    assert (tmp_path / "run" / "skipped_images.tsv").read_text().count("broken.jpg") == 1


def test_the_file_lists_are_one_string_table_all_the_way_to_the_workers(folder, tmp_path):
    dm = FolderDataModule(root=str(folder), index_cache=None, num_workers=0, image_size=32)
    dm.setup()
    assert all(isinstance(dm.split.files(s), FileTable) for s in ("train", "val", "test"))
    dataset = dm.train_dataloader().dataset
    assert isinstance(dataset, ImageFileDataset) and isinstance(dataset.files, FileTable)
    names = [f"n{c:08d}/n{c:08d}_{i}.JPEG" for c in range(100) for i in range(100)]  # ImageNet's shape
    table = FileTable.from_relpaths("/data/train", names)
    assert table.nbytes / len(names) < 40 and table[123].name == names[123].split("/")[1]


def test_other_ranks_load_rank_zeros_index_and_take_its_split(folder, tmp_path, monkeypatch):
    cache = str(tmp_path / "cache")
    rank0 = FolderDataModule(root=str(folder), index_cache=cache, num_workers=0, image_size=32)
    rank0.setup()

    monkeypatch.setattr(index, "list_images", None)  # a rank other than 0 must not list the folder
    monkeypatch.setattr("pytorch_lightning.utilities.rank_zero_only.rank", 1)
    rank1 = FolderDataModule(root=str(folder), index_cache=cache, num_workers=0, image_size=32)
    rank1.setup()
    assert np.array_equal(rank1.indexed(folder).files.blob, rank0.indexed(folder).files.blob)

    rank1.split.train = FileTable.from_relpaths(folder, [])  # pretend it had come out differently
    strategy = SimpleNamespace(broadcast=lambda obj: rank0.split)
    rank1.trainer = SimpleNamespace(world_size=2, strategy=strategy)
    rank1.setup("fit")  # Lightning's call, once the processes can talk
    assert list(rank1.train_files) == list(rank0.train_files)


def test_long_scans_report_progress(folder, monkeypatch, caplog):
    monkeypatch.setattr(scan, "PROGRESS_EVERY_S", 0.0)
    with caplog.at_level(logging.INFO):
        build_index(folder, LIMITS, workers=0, cache=None)
    assert any("files checked (" in r.message for r in caplog.records)


def test_imagenet_and_the_sample_photos_read_the_same_cached_index(tmp_path, checked):
    """data=imagenet's headers and the sample photos' verdicts come from the index cache on a second run,
    as data=folder's do: nothing is checked again (before: every run re-read every header)."""
    from colorgan.data import ImageNetDataModule, SampleDataModule
    from tests.test_imagenet import fake_imagenet

    root = fake_imagenet(tmp_path / "ILSVRC2012")
    for make in (
        lambda: ImageNetDataModule(str(root), val_fraction=0.2, num_workers=0, index_cache=str(tmp_path / "c")),
        lambda: SampleDataModule(num_workers=0, index_cache=str(tmp_path / "c")),
    ):
        first = make()
        first.setup()
        assert checked, "the first run checks its files"
        checked.clear()
        again = make()
        again.setup()
        assert checked == [], f"{type(again).__name__} re-checked {checked}"
        assert [list(again.split.files(s)) for s in ("train", "val", "test")] == [
            list(first.split.files(s)) for s in ("train", "val", "test")
        ]
