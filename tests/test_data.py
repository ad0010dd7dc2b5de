from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorgan.data import FolderDataModule, SampleDataModule
from colorgan.data.datasets import ImageFileDataset
from colorgan.data.geometry import Geometry
from colorgan.data.images import load_rgb
from colorgan.data.samples import sample_photos
from colorgan.data.transforms import val_transform
from colorgan.data.walk import find_images
from tests.conftest import photo

RED = (220, 30, 30)


def exif_rotated_jpeg(path: Path) -> None:
    """A 40 wide x 20 high JPEG whose EXIF says "rotate 90 CW to display" (orientation 6)."""
    img = Image.fromarray(photo("coffee", 40)[:20])
    exif = Image.Exif()
    exif[0x0112] = 6
    img.save(path, exif=exif)


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """Nested folders holding every mode and format the loader promises to handle, plus non-images."""
    root = tmp_path / "photos"
    (root / "a" / "b").mkdir(parents=True)
    (root / "c").mkdir()
    Image.fromarray(photo("chelsea", 48)).save(root / "rgb.png")
    exif_rotated_jpeg(root / "a" / "rotated.jpg")
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[:8] = (*RED, 255)  # top half opaque red, bottom half fully transparent
    Image.fromarray(rgba, "RGBA").save(root / "a" / "rgba.png")
    pal = Image.new("P", (16, 16), 0)
    pal.putpalette([0, 0, 0, *RED] + [0] * 762)
    pal.paste(1, (0, 0, 16, 8))
    pal.save(root / "a" / "b" / "palette.png", transparency=0)  # index 0 (bottom half) transparent
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(root / "c" / "cmyk.jpg")  # pure red in CMYK
    Image.fromarray(np.full((16, 16), 32768, np.uint16)).save(root / "c" / "gray16.png")
    Image.fromarray(photo("astronaut", 32)).convert("L").save(root / "c" / "gray.bmp")
    Image.fromarray(photo("rocket", 32)).save(root / "c" / "photo.webp")
    Image.fromarray(photo("coffee", 32)).convert("1").save(root / "c" / "bilevel.TIF")
    (root / "c" / "notes.txt").write_text("not an image")
    return root


def test_find_images_is_recursive_sorted_and_ignores_other_files(mixed_folder):
    names = [p.relative_to(mixed_folder).as_posix() for p in find_images(mixed_folder)]
    assert names == sorted(names)
    assert set(names) == {
        "rgb.png",
        "a/rotated.jpg",
        "a/rgba.png",
        "a/b/palette.png",
        "c/cmyk.jpg",
        "c/gray16.png",
        "c/gray.bmp",
        "c/photo.webp",
        "c/bilevel.TIF",
    }


def test_find_images_names_the_folder_when_it_is_missing_or_empty(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        find_images(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        find_images(tmp_path / "empty")


def test_every_mode_loads_as_rgb(mixed_folder):
    for path in find_images(mixed_folder):
        img = load_rgb(path)
        assert img.mode == "RGB", path


def test_exif_orientation_is_applied(mixed_folder):
    assert load_rgb(mixed_folder / "a" / "rotated.jpg").size == (20, 40)


@pytest.mark.parametrize("name", ["a/rgba.png", "a/b/palette.png"])
def test_transparency_is_composited_on_white(mixed_folder, name):
    arr = np.asarray(load_rgb(mixed_folder / name))
    assert tuple(arr[2, 2]) == RED
    assert tuple(arr[12, 2]) == (255, 255, 255)


def test_cmyk_and_16bit_convert_to_the_right_values(mixed_folder):
    cmyk = np.asarray(load_rgb(mixed_folder / "c" / "cmyk.jpg")).astype(int)
    assert cmyk[8, 8, 0] > 200 and cmyk[8, 8, 1] < 60 and cmyk[8, 8, 2] < 60  # red
    gray16 = np.asarray(load_rgb(mixed_folder / "c" / "gray16.png"))
    assert (gray16 == 128).all()  # 32768 / 65535 of full scale, not clipped to 255


def test_transforms_give_uint8_squares_of_the_requested_size():
    img = Image.fromarray(photo("coffee"))  # 400 x 600
    for transform in (Geometry("crop", 48).train_transform(), val_transform(48)):
        out = transform(img)
        assert out.dtype == torch.uint8 and out.shape == (3, 48, 48)
    assert torch.equal(val_transform(48)(img), val_transform(48)(img))


def test_small_images_are_upsampled_to_the_crop():
    tiny = Image.fromarray(photo("coffee", 8))
    assert Geometry("crop", 32).train_transform()(tiny).shape == (3, 32, 32)


def test_dataset_names_the_file_it_cannot_read(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(OSError, match="broken.jpg"):
        ImageFileDataset([bad], val_transform(16))[0]


def test_folder_datamodule_batches(mixed_folder):
    dm = FolderDataModule(
        root=str(mixed_folder), val_fraction=0.3, image_size=32, batch_size=3, num_workers=0,
        min_image_side=1, exclude_grayscale=False,  # every mode must load, tiny and gray ones included
    )  # fmt: skip
    dm.setup("fit")
    assert len(dm.train_files) + len(dm.val_files) + len(dm.test_files) == 9 and dm.val_files and dm.test_files
    batch = next(iter(dm.train_dataloader()))
    assert batch["rgb"].dtype == torch.uint8 and batch["rgb"].shape == (3, 3, 32, 32)
    val = next(iter(dm.val_dataloader()))
    assert val["rgb"].shape[1:] == (3, 32, 32) and all(Path(p).exists() for p in val["path"])


def test_folder_datamodule_requires_a_root():
    with pytest.raises(ValueError, match="data.root"):
        FolderDataModule(root=None)


def test_sample_photos_are_real_colour_photos_split_without_overlap():
    train, val, test = sample_photos()
    assert len(train) >= 4 and val and test and len(set(train) | set(val) | set(test)) == len(train + val + test)
    for path in train + val + test:
        arr = np.asarray(load_rgb(path)).astype(int)
        assert min(arr.shape[:2]) >= 256
        assert np.abs(arr[..., 0] - arr[..., 2]).mean() > 5  # it has colour


def test_sample_datamodule_repeats_the_train_photos():
    dm = SampleDataModule(image_size=32, batch_size=4, num_workers=0, repeat=3)
    dm.setup("fit")
    assert len(dm.train_dataloader().dataset) == 3 * len(dm.train_files)
    assert len(dm.val_dataloader().dataset) == len(dm.val_files)
