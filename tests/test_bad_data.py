"""Bad data: broken, empty, truncated, non-image, tiny, gray and oversized files are skipped at
indexing with a summary and a full list; a folder with nothing usable fails naming the folder."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorgan.cli import run_task
from colorgan.data import FolderDataModule
from colorgan.data.datasets import ImageFileDataset
from colorgan.data.images import load_rgb
from colorgan.data.scan import REPORT_NAME, problem
from colorgan.data.transforms import val_transform
from colorgan.errors import ImageRejected
from colorgan.train import train
from tests.conftest import FAST, compose_cfg, photo

GOOD = ("chelsea", "coffee", "astronaut", "rocket")


def jpeg_bytes(name: str, size: int = 96) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(photo(name, size)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def write_bad_files(root: Path) -> dict[str, str]:
    """One file of every kind of trouble; returns file name -> the start of the reason expected."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.png").write_text("a text file with an image extension")
    (root / "truncated.jpg").write_bytes(jpeg_bytes("chelsea")[:1500])
    png = io.BytesIO()
    Image.fromarray(photo("coffee", 64)).save(png, "PNG")
    corrupt = bytearray(png.getvalue())
    corrupt[len(corrupt) // 2 : len(corrupt) // 2 + 64] = b"\x00" * 64
    (root / "corrupt.png").write_bytes(bytes(corrupt))
    Image.fromarray(photo("rocket", 16)).save(root / "tiny.png")
    Image.fromarray(photo("astronaut", 96)).convert("L").convert("RGB").save(root / "gray_as_rgb.jpg")
    Image.fromarray(photo("chelsea", 96)).convert("L").save(root / "gray.png")
    Image.new("1", (13000, 12000)).save(root / "bomb.png")  # 156 MP in a few kB
    return {
        "empty.jpg": "empty file",
        "notes.png": "not an image",
        "truncated.jpg": "truncated or corrupt",
        "corrupt.png": "truncated or corrupt",
        "tiny.png": "too small",
        "gray_as_rgb.jpg": "grayscale",
        "gray.png": "grayscale",
        "bomb.png": "too large",
    }


@pytest.fixture
def messy_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "photos"
    bad = write_bad_files(root / "sub")
    for name in GOOD:
        (root / f"{name}.jpg").write_bytes(jpeg_bytes(name))
    return root, bad


def test_every_kind_of_bad_file_is_skipped_counted_and_listed(messy_folder, tmp_path, caplog):
    root, bad = messy_folder
    dm = FolderDataModule(root=str(root), image_size=64, batch_size=2, num_workers=0, report_dir=str(tmp_path))
    with caplog.at_level(logging.WARNING):
        dm.setup("fit")
    assert sorted(p.stem for p in dm.train_files + dm.val_files + dm.test_files) == sorted(GOOD)
    summary = [r.message for r in caplog.records if "files skipped" in r.message]
    assert len(summary) == 1 and summary[0].startswith("data: 8 of 12 files skipped (")
    assert "2 grayscale" in summary[0] and str(tmp_path / REPORT_NAME) in summary[0]
    with open(tmp_path / REPORT_NAME) as f:
        listed = {Path(row["path"]).name: row["reason"] for row in csv.DictReader(f, delimiter="\t")}
    assert listed.keys() == bad.keys()
    for name, reason in bad.items():
        assert listed[name].startswith(reason), (name, listed[name])
    assert "156 MP" in listed["bomb.png"]
    batch = next(iter(dm.train_dataloader()))
    assert batch["rgb"].shape == (2, 3, 64, 64)


def test_a_folder_without_a_usable_image_fails_at_once_naming_it(tmp_path):
    root = tmp_path / "only_bad"
    write_bad_files(root)
    cfg = compose_cfg(tmp_path / "run", [*FAST, "data=folder", f"data.root={root}"])
    with pytest.raises(SystemExit) as stop:
        run_task(train, cfg)
    message = str(stop.value)
    assert message.startswith(f"error: no usable training image in {root}: 8 of 8 files skipped")
    assert REPORT_NAME in message and "\n" not in message


def test_an_image_deleted_after_indexing_is_replaced_not_fatal(messy_folder, caplog):
    root, _ = messy_folder
    files = sorted(root.glob("*.jpg"))
    dataset = ImageFileDataset(files, val_transform(32), substitute_unreadable=True)
    files[0].unlink()
    with caplog.at_level(logging.WARNING):
        item = dataset[0]
    assert item["path"] == str(files[1])
    assert any(str(files[0]) in r.message for r in caplog.records)
    with pytest.raises(OSError, match=files[0].name):  # evaluation must not silently swap images
        ImageFileDataset(files, val_transform(32))[0]


def test_decompression_bombs_are_refused_by_name_before_decoding(tmp_path):
    bomb = tmp_path / "bomb.png"
    Image.new("1", (13000, 12000)).save(bomb)
    with pytest.raises(ImageRejected, match=r"bomb.png: 13000x12000 = 156 MP is above the limit of 150 MP"):
        load_rgb(bomb)
    Image.new("1", (16000, 12000)).save(bomb)  # above Pillow's own hard limit too
    assert problem(bomb).startswith("too large")


def test_a_colour_photo_of_mostly_gray_things_is_kept(tmp_path):
    """Only photos without colour are excluded, not colour photos of gray things."""
    colour = photo("coffee", 96)
    rgb = np.repeat(colour.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8)
    rgb[40:52, 40:52] = colour[40:52, 40:52]  # 1.6% of the pixels keep their colour
    Image.fromarray(rgb).save(tmp_path / "mostly_gray.png")
    assert problem(tmp_path / "mostly_gray.png") is None
    Image.fromarray(rgb[:30, :30]).save(tmp_path / "all_gray.png")
    assert problem(tmp_path / "all_gray.png", min_side=16).startswith("grayscale")
