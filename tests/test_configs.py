"""Every config composes and builds; train(cfg) runs every model and leaves the promised run directory."""

import csv
import re

import hydra
import pytest
import torch
from omegaconf.errors import MissingMandatoryValue

from colorgan.data import FolderDataModule, SampleDataModule
from colorgan.models.base import MODEL_CONFIG_KEY
from colorgan.models.build import build_model
from colorgan.models.classification_module import ClassificationColorizer
from colorgan.models.gan_module import GANColorizer
from colorgan.models.regression_module import RegressionColorizer
from colorgan.train import build_trainer, train
from colorgan.training.loggers import build_loggers
from tests.conftest import CONF_DIR, FAST, FAST_MODEL, MODELS, ROOT, compose_cfg

MODULES = {
    "gan": GANColorizer,
    "pix2pix": GANColorizer,
    "mse_cnn": RegressionColorizer,
    "fusion": RegressionColorizer,
    "zhang16": ClassificationColorizer,
}


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def test_every_model_config_is_among_the_models_the_tests_cover():
    assert options("model") == sorted(MODELS)


def documented_choices() -> dict[tuple[str, str], set[str]]:
    """Every ``group=option`` (and ``group=a,b`` multirun list) that README, docs/ and experiments/README.md
    tell users to type, with the files that say it; Python keyword arguments (``hints=hints)``) are not choices."""
    groups = sorted(p.name for p in CONF_DIR.iterdir() if p.is_dir())
    names = "|".join(groups)
    choice = re.compile(rf"(?<![\w.+/-])({names})=([A-Za-z0-9_,]+)(?![\w)(])")
    found: dict[tuple[str, str], set[str]] = {}
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "experiments" / "README.md"]:
        for group, names in choice.findall(doc.read_text()):
            for name in filter(None, names.split(",")):
                found.setdefault((group, name), set()).add(doc.name)
    return found


def test_every_option_the_docs_name_exists():
    """A renamed or removed config fails here, not in a user's terminal."""
    found = documented_choices()
    assert {("model", "gan"), ("data", "folder"), ("trainer", "ddp"), ("logger", "wandb")} <= set(found)
    missing = {f"{g}={o}": sorted(docs) for (g, o), docs in found.items() if not (CONF_DIR / g / f"{o}.yaml").is_file()}
    assert not missing, f"documented but not in conf/: {missing}"


def test_the_default_is_the_gan_on_the_sample_photos(tmp_path):
    cfg = compose_cfg(tmp_path)
    assert isinstance(build_model(cfg.model), GANColorizer)
    assert isinstance(hydra.utils.instantiate(cfg.data), SampleDataModule)


@pytest.mark.parametrize("model", MODELS)
def test_every_model_config_builds_its_module(tmp_path, model):
    module = build_model(compose_cfg(tmp_path, [f"model={model}"]).model)
    assert type(module) is MODULES[model]
    assert module.model_config["generator"]["_target_"].startswith("colorgan.models.nets.")


def test_folder_data_needs_a_root_and_names_it(tmp_path):
    cfg = compose_cfg(tmp_path, ["data=folder"])
    with pytest.raises(MissingMandatoryValue, match="root"):
        hydra.utils.instantiate(cfg.data)
    cfg = compose_cfg(tmp_path, ["data=folder", f"data.root={tmp_path}"])
    assert isinstance(hydra.utils.instantiate(cfg.data), FolderDataModule)


@pytest.mark.parametrize("trainer", ["default", "cpu", "ddp"])
def test_trainer_configs_instantiate_on_a_cpu(tmp_path, trainer):
    cfg = compose_cfg(tmp_path, [f"trainer={trainer}", "trainer.accelerator=cpu"])
    built = build_trainer(cfg, [], [])  # as training builds it (precision=auto is set at setup)
    assert built.num_devices == (2 if trainer == "ddp" else 1)


def test_gpu_trainer_config_asks_for_a_gpu(tmp_path):
    cfg = compose_cfg(tmp_path, ["trainer=gpu"])
    assert cfg.trainer.accelerator == "gpu" and cfg.trainer.devices == 1


@pytest.mark.parametrize("logger, expected", [("none", 0), ("csv", 1), ("tensorboard", 1), ("wandb", 2)])
def test_logger_configs_instantiate(tmp_path, logger, expected):
    assert len(build_loggers(compose_cfg(tmp_path, [f"logger={logger}"]).logger)) == expected


@pytest.mark.parametrize("model", MODELS)
def test_fast_dev_run_trains_every_model(tmp_path, model):
    cfg = compose_cfg(tmp_path, [f"model={model}", "trainer.fast_dev_run=true", *FAST, *FAST_MODEL[model]])
    train(cfg)
    assert list((tmp_path / "samples").glob("*.png"))


def read_metrics(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_a_short_gan_run_leaves_checkpoints_metrics_and_samples_and_resumes(tmp_path):
    run = tmp_path / "run"
    overrides = [
        *FAST,
        "logger=csv",
        "model.pretrain_epochs=1",
        "trainer.limit_train_batches=2",
        "data.repeat=2",
        "trainer.log_every_n_steps=1",
    ]
    value = train(compose_cfg(run, [*overrides, "trainer.max_epochs=2"]))
    last = run / "checkpoints" / "last.ckpt"
    assert last.is_file() and list((run / "checkpoints").glob("best-*.ckpt"))
    assert len(list((run / "samples").glob("*.png"))) == 2
    rows = read_metrics(run / "metrics.csv")
    selected = [float(r["val/de00_cf"]) for r in rows if r.get("val/de00_cf")]  # selection_metric=auto, no FID
    assert value == pytest.approx(selected[-1]) and 0 < value < 200
    assert any(r.get("train/d_loss") for r in rows)  # epoch 1 was adversarial

    ckpt = torch.load(last, map_location="cpu", weights_only=False)
    assert ckpt["global_step"] == 4 and ckpt[MODEL_CONFIG_KEY]["_target_"].endswith("GANColorizer")

    resumed = tmp_path / "resumed"
    train(compose_cfg(resumed, [*overrides, "trainer.max_epochs=3", f"ckpt_path={last}"]))
    ckpt = torch.load(resumed / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ckpt["global_step"] == 6 and ckpt["epoch"] == 2
