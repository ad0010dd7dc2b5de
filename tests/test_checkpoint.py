"""A checkpoint alone rebuilds its colorizer, and a checkpoint can never run code."""

import pickle

import pytest
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate

from colorgan.errors import CheckpointError
from colorgan.models.base import META_KEY, MODEL_CONFIG_KEY
from colorgan.models.build import build_model
from colorgan.training.checkpoint import load_colorizer, read_checkpoint
from tests.conftest import FAST_MODEL, MODELS, compose_cfg


@pytest.mark.parametrize("model", MODELS)
def test_every_model_rebuilds_from_its_checkpoint(checkpoints, model):
    colorizer = load_colorizer(checkpoints[model])
    assert not colorizer.training and colorizer.meta["working_size"] == 64
    state = read_checkpoint(checkpoints[model])["state_dict"]
    for key, value in colorizer.state_dict().items():
        torch.testing.assert_close(value, state[key])
    L = torch.rand(1, 1, 40, 56) * 2 - 1
    with torch.no_grad():
        assert colorizer(L).shape == (1, 2, 40, 56)


# Settings away from the configs' defaults, which the rebuilt colorizer must take from the stored config
INFERENCE_SETTINGS = {
    "pix2pix": {"inference_norm": "batch", "inference_batch": 1},  # Isola et al.'s test-time norms
    "zhang16": {"temperature": 1.0},  # the plain mean of the bins, not the annealed one
    "gan": {"ab_scale": 64.0},
}


@pytest.mark.parametrize("model", MODELS)
def test_the_rebuilt_colorizer_infers_as_the_trained_module(checkpoints, tmp_path, model):
    """load_colorizer builds the model's inference class alone (no Lightning, no discriminator, no optimizer);
    its ab equals that of the LightningModule the run trained, given the same weights and settings."""
    ckpt = read_checkpoint(checkpoints[model])
    ckpt[MODEL_CONFIG_KEY] = {**ckpt[MODEL_CONFIG_KEY], **INFERENCE_SETTINGS.get(model, {})}
    torch.save(ckpt, tmp_path / "model.ckpt")
    colorizer = load_colorizer(tmp_path / "model.ckpt")
    trained = instantiate(ckpt[MODEL_CONFIG_KEY], _convert_="all")  # our own test file: trusted
    trained.load_state_dict(ckpt["state_dict"], strict=True)
    trained.eval()
    assert isinstance(trained, pl.LightningModule) and not isinstance(colorizer, pl.LightningModule)
    assert not any(key.startswith("discriminator.") for key in colorizer.state_dict())
    L = torch.rand(2, 1, 40, 56) * 2 - 1

    def ab_of(module: torch.nn.Module) -> torch.Tensor:
        torch.manual_seed(0)  # pix2pix's dropout stays on with inference_norm=batch: the same draws for both
        with torch.no_grad():
            return module(L)

    ab = [ab_of(colorizer), ab_of(trained)]
    torch.testing.assert_close(ab[0], ab[1], rtol=0, atol=0)
    torch.testing.assert_close(colorizer.to_rgb(L, ab[0]), trained.to_rgb(L, ab[1]), rtol=0, atol=0)  # ab_scale


def test_missing_and_foreign_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.ckpt"):
        load_colorizer(tmp_path / "nope.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "other.ckpt")
    with pytest.raises(CheckpointError, match="other.ckpt.*not a colorgan checkpoint"):
        load_colorizer(tmp_path / "other.ckpt")
    (tmp_path / "text.ckpt").write_text("hello")
    with pytest.raises(CheckpointError, match="text.ckpt"):
        load_colorizer(tmp_path / "text.ckpt")


class Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))  # unpickling this would create the file


def test_a_pickle_payload_is_refused_and_never_runs(tmp_path, checkpoints):
    ckpt = read_checkpoint(checkpoints["mse_cnn"])
    marker = tmp_path / "pwned"
    ckpt["evil"] = Payload(str(marker))
    with open(tmp_path / "evil.ckpt", "wb") as f:
        pickle.dump(ckpt, f)
    with pytest.raises(CheckpointError, match="refused"):
        load_colorizer(tmp_path / "evil.ckpt")
    assert not marker.exists()


def test_a_config_naming_foreign_code_is_refused(tmp_path, checkpoints):
    ckpt = read_checkpoint(checkpoints["mse_cnn"])
    marker = tmp_path / "pwned"
    ckpt[MODEL_CONFIG_KEY]["generator"] = {"_target_": "os.system", "command": f"touch {marker}"}
    torch.save(ckpt, tmp_path / "evil.ckpt")
    with pytest.raises(CheckpointError, match="os.system"):
        load_colorizer(tmp_path / "evil.ckpt")
    assert not marker.exists()


def test_rebuilding_never_downloads_pretrained_weights(tmp_path, checkpoints):
    ckpt = read_checkpoint(checkpoints["gan"])
    ckpt[MODEL_CONFIG_KEY]["generator"]["pretrained"] = True  # would fail offline
    torch.save(ckpt, tmp_path / "pretrained.ckpt")
    assert load_colorizer(tmp_path / "pretrained.ckpt") is not None


def test_loading_a_fusion_checkpoint_does_not_claim_random_weights(checkpoints, caplog):
    with caplog.at_level("WARNING"):
        load_colorizer(checkpoints["fusion"])
    assert "random weights" not in caplog.text


def test_a_zhang16_config_naming_a_grid_rebuilds_with_its_own_bins(tmp_path):
    """A stored config that names a grid (or a bins file) instead of listing its bins: the weights' own bins
    decide, so a 5-unit grid's 1000-odd bins are not mistaken for the default 313."""
    model = build_model(compose_cfg(tmp_path, ["model=zhang16", *FAST_MODEL["zhang16"], "model.grid=5"]).model)
    assert model.bins.shape[0] > 313 and model.model_config.get("bins") is None
    state = {"state_dict": model.state_dict(), MODEL_CONFIG_KEY: model.model_config, META_KEY: dict(model.meta)}
    torch.save(state, tmp_path / "grid5.ckpt")
    colorizer = load_colorizer(tmp_path / "grid5.ckpt")
    torch.testing.assert_close(colorizer.bins, model.bins, rtol=0, atol=0)


def test_a_generator_that_cannot_hold_the_stored_weights_is_refused(checkpoints, tmp_path):
    """Only the parts the rebuilt class leaves out (a GAN's discriminator) are dropped from the weights: a
    generator config that builds something else, even a part with no weights at all, fails by name."""
    ckpt = read_checkpoint(checkpoints["gan"])
    ckpt[MODEL_CONFIG_KEY] = {**ckpt[MODEL_CONFIG_KEY], "generator": {"_target_": "torch.nn.InstanceNorm2d",
                                                                      "num_features": 1}}  # fmt: skip
    torch.save(ckpt, tmp_path / "swapped.ckpt")
    with pytest.raises(CheckpointError, match="(?s)swapped.ckpt: weights do not fit.*generator"):
        load_colorizer(tmp_path / "swapped.ckpt")


def test_a_zhang16_checkpoint_without_bins_is_refused_by_name(checkpoints, tmp_path):
    ckpt = read_checkpoint(checkpoints["zhang16"])
    ckpt[MODEL_CONFIG_KEY] = {**ckpt[MODEL_CONFIG_KEY], "bins": None}
    ckpt["state_dict"] = {k: v for k, v in ckpt["state_dict"].items() if k != "bins"}
    torch.save(ckpt, tmp_path / "nobins.ckpt")
    with pytest.raises(CheckpointError, match="nobins.ckpt: a zhang16 checkpoint without ab bins"):
        load_colorizer(tmp_path / "nobins.ckpt")
