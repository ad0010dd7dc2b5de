"""Each experiment makes photos square its source's way, the same at train and test time, and evaluate scores
with the geometry the checkpoint trained with."""

import hydra
import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from PIL import Image

from colorgan.data.geometry import Geometry, Letterbox
from colorgan.evaluation.scored import scoring_geometry
from colorgan.training.checkpoint import load_colorizer
from tests.conftest import compose_cfg
from tests.test_experiments import EXPERIMENTS

# (kind, training square, scored square), from each source's data code (see conf/experiment/*.yaml)
EXPECTED = {
    "koalarization": ("letterbox", 224, 224),
    "laptop": ("crop", 64, 64),  # colorgan's own recipe: random crops of a quarter of the photo or more
    "laptop_mse": ("crop", 64, 64),
    "pix2pix_isola": ("squash", 256, 256),
    "unet_gan": ("squash", 256, 256),
    "wallner_beta": ("crop", 256, 256),
    "zhang_eccv16": ("squash", 176, 256),
}


@pytest.fixture(scope="module")
def stripes() -> Image.Image:
    """A non-square photo (60 x 180): red | green | blue thirds."""
    rgb = np.zeros((60, 180, 3), np.uint8)
    rgb[:, :60, 0], rgb[:, 60:120, 1], rgb[:, 120:, 2] = 255, 255, 255
    return Image.fromarray(rgb)


def shows(img: torch.Tensor, channel: int) -> bool:
    """Whether a pure stripe of ``channel`` (0 red, 1 green, 2 blue) is somewhere in ``img`` (3, S, S)."""
    others = [c for c in range(3) if c != channel]
    return bool(((img[channel] > 200) & (img[others[0]] < 50) & (img[others[1]] < 50)).any())


def test_every_experiment_is_pinned():
    assert sorted(EXPECTED) == EXPERIMENTS


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_each_experiment_trains_and_scores_a_non_square_photo_its_sources_way(tmp_path, experiment, stripes):
    kind, size, scored = EXPECTED[experiment]
    geometry = hydra.utils.instantiate(compose_cfg(tmp_path, [f"experiment={experiment}"]).data).geometry
    assert (geometry.kind, geometry.size, geometry.scored_size) == (kind, size, scored)
    torch.manual_seed(0)
    trained = [geometry.train_transform()(stripes) for _ in range(6)]
    scored_img = geometry.eval_transform()(stripes)
    assert all(t.shape == (3, size, size) and t.dtype == torch.uint8 for t in trained)
    assert scored_img.shape == (3, scored, scored)
    if kind == "crop":  # the centre square of the photo: green only
        assert shows(scored_img, 1) and not shows(scored_img, 0) and not shows(scored_img, 2)
    elif kind == "squash":  # the whole photo, aspect not kept, at train time too (a crop of it at most)
        assert all(shows(scored_img, c) for c in range(3))
        assert all(shows(t, 1) and (shows(t, 0) or shows(t, 2)) for t in trained)
        if size == scored:  # no random crop: every stripe in every training image
            assert all(shows(t, c) for t in trained for c in range(3))
    else:  # letterbox: the whole photo inside white bars, no augmentation at all
        assert all(shows(scored_img, c) for c in range(3)) and bool((scored_img[:, :10] == 255).all())
        assert all(torch.equal(t, scored_img) for t in trained)


def test_letterbox_centres_the_photo_as_resize_contain_does():
    img = torch.zeros(3, 10, 30, dtype=torch.uint8)
    out = Letterbox(12)(img)  # 10x30 -> 4x12, padded by ceil(8 / 2) = 4 rows on top, 4 below
    assert out.shape == (3, 12, 12) and bool((out[:, :4] == 255).all()) and bool((out[:, 4:8] == 0).all())
    assert bool((out[:, 8:] == 255).all())


def test_a_checkpoint_records_its_geometry_and_evaluate_scores_that_way(checkpoints, stripes):
    meta = load_colorizer(checkpoints["mse_cnn"]).meta
    assert meta["geometry"]["kind"] == "crop" and meta["geometry"]["size"] == 64 and meta["working_size"] == 64
    cfg = OmegaConf.create({"data": {"image_size": 256}, "eval_geometry": None, "eval_size": None})
    metas = {"a": {"geometry": Geometry("squash", 32, eval_size=48).as_dict()}}
    transform, record = scoring_geometry(cfg, metas)
    scored = transform(stripes)
    assert scored.shape == (3, 48, 48) and all(shows(scored, c) for c in range(3))
    assert record["geometry"]["kind"] == "squash" and record["image_size"] == 48 and not record["warnings"]
    metas["b"] = {"geometry": Geometry("crop", 48).as_dict()}  # a row trained otherwise is named
    assert "b trained and was validated on short side resized to 48" in scoring_geometry(cfg, metas)[1]["warnings"][0]
    cfg.eval_geometry, cfg.eval_size = "crop", 40  # asked for: every row is scored that way
    transform, record = scoring_geometry(cfg, metas)
    assert transform(stripes).shape == (3, 40, 40) and record["geometry"]["source"] == "eval_geometry / eval_size"
