"""Training's random crop is drawn from the header, then the photo decodes at the scale that crop needs."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image
from torchvision import transforms

import colorgan.data.geometry as geometry_module
import colorgan.data.images as images_module
from colorgan.data.datasets import ImageFileDataset
from colorgan.data.geometry import Geometry, RandomCropFirst
from colorgan.data.images import image_tensor, load_rgb

SIZE = 64


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory):
    """A real photograph at 1536 x 1024 (the astronaut, stretched), as a JPEG."""
    path = tmp_path_factory.mktemp("crop_first") / "photo.jpg"
    Image.fromarray(skimage.data.astronaut()).resize((1536, 1024), Image.Resampling.BICUBIC).save(path, quality=92)
    return path


@pytest.fixture
def decoded_sizes(monkeypatch):
    """The size each photo was decoded at, through ``RandomCropFirst.load``."""
    sizes, decode = [], geometry_module.decode_rgb

    def spy(img, min_side=None, source=""):
        out = decode(img, min_side, source)
        sizes.append(out.size)
        return out

    monkeypatch.setattr(geometry_module, "decode_rgb", spy)
    return sizes


def test_the_draws_follow_the_random_resized_crop_rule():
    """Against torchvision's own sampler of the rule: the same spread of area shares and aspect ratios."""
    crop, ours, theirs = RandomCropFirst(SIZE, min_scale=0.25), [], []
    photo = torch.empty(1, 200, 300)
    torch.manual_seed(0)
    for _ in range(4000):
        top, left, h, w = crop.draw(300, 200)
        assert 0 <= top <= 200 - h and 0 <= left <= 300 - w
        ours.append((h * w / 60000, math.log(w / h)))
        _, _, h, w = transforms.RandomResizedCrop.get_params(photo, [0.25, 1.0], [3 / 4, 4 / 3])
        theirs.append((h * w / 60000, math.log(w / h)))
    ours, theirs = np.array(ours), np.array(theirs)
    assert ours[:, 0].min() >= 0.24 and ours[:, 0].max() <= 1.0 and np.abs(ours[:, 1]).max() <= math.log(4 / 3) + 0.01
    np.testing.assert_allclose(ours.mean(0), theirs.mean(0), atol=0.015)
    np.testing.assert_allclose(ours.std(0), theirs.std(0), atol=0.015)
    assert crop.draw(1000, 10) == (0, 493, 10, 13)  # no draw fits: the centred crop of the widest allowed aspect


def test_a_large_crop_decodes_at_reduced_scale_and_looks_as_at_full_scale(big_jpeg, decoded_sizes):
    crop = RandomCropFirst(SIZE, flip=False)
    crop.draw = lambda width, height: (0, 256, 1024, 1024)  # the photo's whole height: 1/8 leaves 128 >= 64 px
    reduced = crop.load(big_jpeg)
    assert decoded_sizes == [(192, 128)]
    full = crop(load_rgb(big_jpeg))  # the same crop of the photo decoded whole
    assert reduced.shape == full.shape == (3, SIZE, SIZE)
    assert (reduced.float() - full.float()).abs().mean() < 3.0  # DCT scaling against an antialiased resize


def test_a_small_crop_decodes_at_the_scale_it_needs(big_jpeg, decoded_sizes):
    crop = RandomCropFirst(SIZE, flip=False)
    crop.draw = lambda width, height: (100, 100, 200, 300)  # short side 200: 1/2 leaves 100 >= 64, 1/4 50 < 64
    crop.load(big_jpeg)
    assert decoded_sizes == [(768, 512)]


def test_the_crop_is_drawn_in_upright_coordinates(tmp_path, decoded_sizes):
    """A portrait stored sideways (EXIF orientation 6): the crop of its top quarter shows its top."""
    upright = np.zeros((1600, 1200, 3), np.uint8)
    upright[:400, :, 0] = 255  # red top
    upright[400:, :, 2] = 255  # blue below
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=95, exif=exif)
    crop = RandomCropFirst(SIZE, flip=False)
    crop.draw = lambda width, height: (0, 0, 300, 1200) if (width, height) == (1200, 1600) else pytest.fail("sideways")
    out = crop.load(buffer)
    assert decoded_sizes == [(300, 400)]  # 1/4: the crop keeps 75 >= 64 px
    red = (out[0] > 200) & (out[2] < 60)
    assert red.float().mean() > 0.95


def test_training_reads_files_through_the_drawn_crop(big_jpeg, decoded_sizes):
    dataset = ImageFileDataset([big_jpeg], Geometry("crop", 160).train_transform(), min_side=None)
    torch.manual_seed(1)
    items = [dataset[0]["rgb"] for _ in range(20)]
    assert all(item.shape == (3, 160, 160) for item in items)
    assert len(decoded_sizes) == 20 and max(w for w, _ in decoded_sizes) < 1536  # never at full scale here
    assert len({tuple(s) for s in decoded_sizes}) > 1  # the scale follows each crop
    assert math.isclose(decoded_sizes[0][0] / decoded_sizes[0][1], 1.5)


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_the_one_copy_tensor_is_torchvisions(mode):
    img = Image.fromarray(skimage.data.astronaut()[:120, :90]).convert(mode)
    ours = image_tensor(img)
    assert torch.equal(ours, transforms.functional.pil_to_tensor(img)) and ours.dtype == torch.uint8


def _sideways_portrait(fmt: str) -> io.BytesIO:
    """A 1200 x 1600 portrait, red top quarter, stored sideways with EXIF orientation 6 as ``fmt``."""
    upright = np.zeros((1600, 1200, 3), np.uint8)
    upright[:400, :, 0] = 255
    upright[400:, :, 2] = 255
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, format=fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {}))
    return buffer


@pytest.mark.parametrize("fmt", ["TIFF", "PNG", "WEBP"])
def test_a_sideways_photo_of_any_format_keeps_the_crop_rule(fmt):
    """Pillow's TIFF reader turns the photo upright itself: a crop drawn from the header's orientation would be
    drawn on the wrong sides and stretched. Formats without reduced-scale decoding are cropped once decoded."""
    crop = RandomCropFirst(SIZE, flip=False)
    drawn = []
    draw = crop.draw

    def recording(width, height):
        drawn.append((width, height))
        return draw(width, height)

    crop.draw = recording
    torch.manual_seed(0)
    out = crop.load(_sideways_portrait(fmt))
    assert drawn == [(1200, 1600)] and out.shape == (3, SIZE, SIZE)
    assert torch.equal(out, (torch.manual_seed(0), crop(load_rgb(_sideways_portrait(fmt))))[1])


def test_a_cameras_mpo_decodes_at_reduced_scale(big_jpeg, decoded_sizes, tmp_path):
    path = tmp_path / "camera.mpo"
    Image.open(big_jpeg).save(path, format="MPO", save_all=True, append_images=[Image.open(big_jpeg)])
    assert Image.open(path).format == "MPO"
    crop = RandomCropFirst(SIZE, flip=False)
    crop.draw = lambda width, height: (0, 256, 1024, 1024)
    crop.load(path)
    assert decoded_sizes == [(192, 128)]


@pytest.mark.parametrize("kind", ["crop", "squash", "letterbox"])
def test_scoring_reads_a_large_jpeg_at_the_scale_it_scores(big_jpeg, monkeypatch, kind):
    """Every transform of a geometry reads its files itself: evaluate and compare (which build the dataset
    from the transform alone) decode a 1536 x 1024 JPEG at 1/8 for a 64 px square, as validation does."""
    sizes, decode = [], images_module.decode_rgb

    def spy(img, min_side=None, source=""):
        out = decode(img, min_side, source)
        sizes.append(out.size)
        return out

    monkeypatch.setattr(images_module, "decode_rgb", spy)
    transform = Geometry(kind, SIZE).eval_transform()
    item = ImageFileDataset([big_jpeg], transform, skip_unreadable=True)[0]
    assert item["rgb"].shape == (3, SIZE, SIZE) and sizes == [(192, 128)]
    whole = transform(load_rgb(big_jpeg))  # the same square from the photo decoded whole
    assert (item["rgb"].float() - whole.float()).abs().mean() < 3.0
