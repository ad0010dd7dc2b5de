"""A checkpoint never chooses what code runs: hostile stored configs are refused by name, before anything runs."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from torch.optim.lr_scheduler import LambdaLR

from colorgan.colorize import main as colorize_main
from colorgan.errors import CheckpointError
from colorgan.models.base import MODEL_CONFIG_KEY, ColorizationModule
from colorgan.models.colorizer import Colorizer
from colorgan.training.allowlist import COLORIZERS, TARGETS
from colorgan.training.checkpoint import checked_model_config, load_colorizer, read_checkpoint
from tests.conftest import CONF_DIR, compose_cfg


def method_payload(marker: Path) -> dict:
    """``Path(marker).write_text("pwned")`` spelled through names alone: a method of a class
    colorgan.evaluation.report imported (``Path() / marker`` builds the receiver)."""
    receiver = {
        "_target_": "colorgan.evaluation.report.Path.__truediv__",
        "self": {"_target_": "colorgan.evaluation.report.Path"},
        "key": str(marker),
    }
    return {"_target_": "colorgan.evaluation.report.Path.write_text", "self": receiver, "data": "pwned"}


def library_payload(marker: Path) -> dict:
    """``torch.save("pwned", marker)``: a function of a library colorgan.training.resume imported."""
    return {"_target_": "colorgan.training.resume.torch.save", "obj": "pwned", "f": str(marker)}


def helper_payload(marker: Path) -> dict:
    """colorgan's own report writer: creates ``marker/skipped_images.tsv``."""
    return {"_target_": "colorgan.data.scan.write_skipped_list", "skipped": [["x", "pwned"]], "report_dir": str(marker)}


PAYLOADS = {"method": method_payload, "library function": library_payload, "colorgan helper": helper_payload}


def hostile(checkpoint: Path, tmp_path: Path, edit, weights: bool = False) -> Path:
    """A copy of ``checkpoint`` whose stored model config ``edit`` changed, saved as plain data;
    without ``weights`` (enough for a refusal, which comes before any weight is read) it is tiny."""
    ckpt = read_checkpoint(checkpoint)
    if not weights:
        ckpt = {"state_dict": {}, MODEL_CONFIG_KEY: ckpt[MODEL_CONFIG_KEY]}
    ckpt[MODEL_CONFIG_KEY] = copy.deepcopy(ckpt[MODEL_CONFIG_KEY])
    edit(ckpt[MODEL_CONFIG_KEY])
    torch.save(ckpt, tmp_path / "evil.ckpt")
    return tmp_path / "evil.ckpt"


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """An empty working directory and a marker path; asserts afterwards that neither was written to."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    marker = tmp_path / "pwned"
    yield marker
    assert not marker.exists(), "the payload ran"
    assert not any(cwd.iterdir()), f"something was written to the working directory: {list(cwd.iterdir())}"


def test_the_payloads_would_write_files_if_run(tmp_path, monkeypatch):
    """The payloads are real: Hydra, given them directly, writes each marker (so the refusals below matter)."""
    import hydra

    monkeypatch.chdir(tmp_path)
    for kind, payload in PAYLOADS.items():
        marker = tmp_path / kind.replace(" ", "_")
        hydra.utils.instantiate(payload(marker))
        assert marker.exists(), kind


@pytest.mark.parametrize("place", ["generator", "optimizer", "top level"])
@pytest.mark.parametrize("kind", PAYLOADS)
def test_hostile_targets_are_refused_by_name_and_never_run(checkpoints, tmp_path, sandbox, kind, place):
    payload = PAYLOADS[kind](sandbox)

    def edit(config: dict) -> None:
        if place == "top level":
            config.clear()
            config.update(payload)
        elif place == "optimizer":  # a _partial_ factory, as optimizers are stored
            config["optimizer"] = {**payload, "_partial_": True}
        else:
            config["generator"] = payload

    with pytest.raises(CheckpointError, match=re.escape(payload["_target_"])):
        load_colorizer(hostile(checkpoints["mse_cnn"], tmp_path, edit))


HYDRA_TRICKS = {
    "_args_": lambda c: c["generator"].update(_args_=[1]),
    "_recursive_": lambda c: c["generator"].update(_recursive_=False),
    "_convert_": lambda c: c.update(_convert_="none"),
    "unknown _key_": lambda c: c["optimizer"].update(_set_=1),
    "_partial_ on a net": lambda c: c["generator"].update(_partial_=True),
    "_partial_ not a bool": lambda c: c["optimizer"].update(_partial_="yes"),
    "_partial_ without _target_": lambda c: c.update(extra={"_partial_": True}),
    "interpolation": lambda c: c.update(loss="${oc.env:HOME}"),
    "interpolation in a list": lambda c: c["optimizer"].update(betas=[0.9, "${oc.decode:1}"]),
    "interpolation in a key": lambda c: c.update({"${x}": 1}),
    "a non-plain value": lambda c: c.update(loss=torch.zeros(1)),
    "a target that is not a string": lambda c: c["generator"].update(_target_=["colorgan.models.nets.PlainCNN"]),
    "a net as the colorizer": lambda c: c.update(_target_="colorgan.models.nets.PlainCNN"),
}


@pytest.mark.parametrize("trick", HYDRA_TRICKS)
def test_hydra_tricks_and_interpolations_are_refused(checkpoints, tmp_path, sandbox, trick):
    with pytest.raises(CheckpointError, match="refused"):
        load_colorizer(hostile(checkpoints["mse_cnn"], tmp_path, HYDRA_TRICKS[trick]))


def test_allowed_names_map_to_exactly_their_objects():
    from colorgan.models import nets

    assert TARGETS["torch.optim.Adam"] is TARGETS["torch.optim.adam.Adam"] is torch.optim.Adam
    assert (
        TARGETS["colorgan.models.nets.FusionNet"] is TARGETS["colorgan.models.nets.fusion.FusionNet"] is nets.FusionNet
    )
    assert TARGETS["colorgan.models.regression_module.RegressionColorizer"] is Colorizer
    assert not [name for name in TARGETS if not name.startswith(("colorgan.models.", "torch.nn.", "torch.optim."))]


def _targets(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["_target_"]] if "_target_" in node else []
        return found + [t for v in node.values() for t in _targets(v)]
    return [t for v in node for t in _targets(v)] if isinstance(node, list) else []


CONFIGS = [f"model={p.stem}" for p in sorted((CONF_DIR / "model").glob("*.yaml"))] + [
    f"experiment={p.stem}" for p in sorted((CONF_DIR / "experiment").glob("*.yaml"))
]


@pytest.mark.parametrize("choice", CONFIGS)
def test_every_target_a_model_config_spells_is_allowed(tmp_path, choice):
    """A config naming a class off the list would train, then fail to load: caught here instead."""
    model = OmegaConf.to_container(compose_cfg(tmp_path, [choice]).model, resolve=True)
    assert _targets(model) and set(_targets(model)) <= set(TARGETS)


def test_every_lightning_module_is_rebuilt_as_its_colorizer_class():
    """Each LightningModule a config may name is a subclass of the class load_colorizer builds in its place, so
    the rebuilt model infers exactly as the trained one (tests/test_checkpoint.py compares their outputs)."""
    modules = {f"{cls.__module__}.{cls.__qualname__}": cls for cls in _subclasses(ColorizationModule)}
    assert set(modules) == set(COLORIZERS)
    for name, cls in modules.items():
        assert issubclass(cls, COLORIZERS[name])


def _subclasses(cls: type) -> list[type]:
    import colorgan.models.classification_module  # noqa: F401  (every module registers as a subclass)
    import colorgan.models.gan_module  # noqa: F401
    import colorgan.models.regression_module  # noqa: F401

    found = [sub for sub in cls.__subclasses__() if sub.__module__.startswith("colorgan.")]
    return found + [s for sub in found for s in _subclasses(sub)]


def test_a_scheduler_factory_still_loads(checkpoints, tmp_path):
    def edit(config: dict) -> None:
        decay = {"constant_epochs": 0, "decay_epochs": 3}
        config["scheduler"] = {"_target_": "colorgan.models.schedules.linear_decay", "_partial_": True, **decay}

    path = hostile(checkpoints["mse_cnn"], tmp_path, edit, weights=True)
    assert isinstance(load_colorizer(path), Colorizer)  # checked and accepted, though a colorizer never builds it
    factory = instantiate(checked_model_config(read_checkpoint(path)[MODEL_CONFIG_KEY], path)["scheduler"])
    scheduler = factory(optimizer=torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0))
    assert isinstance(scheduler, LambdaLR) and scheduler.lr_lambdas[0](0) == pytest.approx(0.75)


def test_evaluate_compare_and_colorize_refuse_by_name(checkpoints, tmp_path, sandbox, capsys):
    from colorgan.cli import run_task
    from colorgan.compare import compare
    from colorgan.evaluate import evaluate
    from tests.test_evaluate import compose_named

    payload = helper_payload(sandbox)
    evil = hostile(checkpoints["gan"], tmp_path, lambda c: c["discriminator"].update(norm_layer=payload))
    name = re.escape(payload["_target_"])
    assert colorize_main(["--ckpt", str(evil), str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert re.search(name, capsys.readouterr().err)
    out = tmp_path / "eval"
    with pytest.raises(SystemExit, match=name):
        run_task(evaluate, compose_named("evaluate", out, [f"ckpt_path={evil}"]))
    with pytest.raises(SystemExit, match=name):
        run_task(compare, compose_named("compare", out, [f"ckpts=[{checkpoints['gan']},{evil}]"]))
    assert not out.exists() and not (tmp_path / "out").exists()


def test_resume_never_instantiates_the_stored_config(checkpoints, tmp_path, sandbox):
    """The stored config is compared by name, never built: a payload where the model does not look
    leaves no trace, and the run resumes (train builds its model from the command line's config)."""
    from colorgan.train import train
    from tests.conftest import FAST

    evil = hostile(checkpoints["mse_cnn"], tmp_path, lambda c: c.update(optimizer=helper_payload(sandbox)), True)
    cfg = compose_cfg(tmp_path / "run", ["model=mse_cnn", *FAST, f"ckpt_path={evil}", "trainer.max_steps=2"])
    train(cfg)  # check_resumable reads the stored config first
    assert torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 2
