"""A core install trains: with every package of pyproject's extras made unimportable, ``python -m colorgan.train
... logger=csv`` runs, and asking for a feature of a missing extra is one line naming the extra to install."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import hydra
import pytest
from hydra.errors import InstantiationException
from omegaconf import OmegaConf
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from colorgan.cli import SWEEP_PLUGINS, require_sweep_plugins, run_task
from colorgan.errors import MissingExtra, import_extra
from tests.conftest import ROOT
from tests.test_layout import module_name

EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
# Top-level names an extra's distribution installs that are not its own package: torch-fidelity's wheel
# also ships a folder named `tests` (blocking it would hide this suite's own package).
NOT_AN_EXTRAS_MODULE = {"tests"}


@functools.cache
def extra_distributions() -> set[str]:
    """Every distribution an extra names, other than colorgan itself (``all``, ``test`` name other extras)."""
    names = {canonicalize_name(Requirement(r).name) for group in EXTRAS.values() for r in group}
    return names - {"colorgan"}


@functools.cache
def extra_modules() -> frozenset[str]:
    """The top-level import names of the extras' distributions, as installed here."""
    extras = extra_distributions()
    return frozenset(
        module
        for module, dists in importlib.metadata.packages_distributions().items()
        if any(canonicalize_name(d) in extras for d in dists) and module not in NOT_AN_EXTRAS_MODULE
    )


# Runs in a fresh interpreter: the path finder no longer finds the extras' modules nor their distributions'
# metadata (libraries such as torchmetrics check the metadata before importing), so they look uninstalled;
# then the train command's main runs once per argument list, printing one JSON line per call: its exit code,
# the message it exited with and any extra's module that got imported after all.
SCRIPT = """
import importlib.machinery, json, re, sys
MODULES, DISTRIBUTIONS = (set(names) for names in json.loads(sys.argv[1]))

class WithoutExtras(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        return None if name.partition(".")[0] in MODULES else super().find_spec(name, path, target)

    @classmethod
    def find_distributions(cls, *args, **kwargs):
        for dist in super().find_distributions(*args, **kwargs):
            if re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower() not in DISTRIBUTIONS:
                yield dist

sys.meta_path[:] = [WithoutExtras if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
from colorgan.train import main
for argv in json.loads(sys.argv[2]):
    sys.argv = ["colorgan-train", *argv]
    try:
        main()
        code, message = 0, ""
    except SystemExit as stop:
        code, message = (1, stop.code) if isinstance(stop.code, str) else (stop.code or 0, "")
    leaked = sorted(m for m in sys.modules if m.partition(".")[0] in MODULES)
    print("RESULT " + json.dumps({"code": code, "message": message, "leaked": leaked}), flush=True)
"""


def test_import_extra_names_the_extra_only_when_the_package_itself_is_missing(tmp_path, monkeypatch):
    with pytest.raises(MissingExtra) as missing:
        import_extra("colorgan_absent_package.sub", "demo", "the page")
    assert str(missing.value) == (
        "the page needs colorgan_absent_package.sub, which is not installed: pip install 'colorgan[demo]' "
        "(from a checkout: pip install -e '.[demo]')"
    )
    (tmp_path / "colorgan_broken_package.py").write_text("import colorgan_absent_dependency\n")
    monkeypatch.syspath_prepend(tmp_path)
    with pytest.raises(ModuleNotFoundError) as broken:  # installed, but broken: its own error, not advice
        import_extra("colorgan_broken_package", "demo", "the page")
    assert not isinstance(broken.value, MissingExtra) and broken.value.name == "colorgan_absent_dependency"


def test_a_missing_extra_raised_inside_a_config_target_is_one_line():
    target = {"_target_": "colorgan.errors.import_extra", "module": "colorgan_absent", "extra": "x", "feature": "f"}
    with pytest.raises(SystemExit) as stop:  # instantiate wraps the error; the command still says it in one line
        run_task(lambda cfg: hydra.utils.instantiate(cfg.logger), OmegaConf.create({"logger": target}))
    assert str(stop.value.code).startswith("error: f needs colorgan_absent, which is not installed")
    with pytest.raises(InstantiationException):  # any other error keeps its traceback
        run_task(lambda cfg: hydra.utils.instantiate(cfg.logger), OmegaConf.create({"logger": {"_target_": "len"}}))


def test_a_sweep_plugin_that_is_not_installed_is_named_before_hydra_looks_for_its_configs(monkeypatch):
    monkeypatch.setitem(SWEEP_PLUGINS, ("hydra/sweeper", "optuna"), "hydra_plugins.colorgan_absent_sweeper")
    require_sweep_plugins(["model=gan", "hydra/launcher=basic", "seed=0,1"])  # nothing a plugin provides
    with pytest.raises(SystemExit) as stop:
        require_sweep_plugins(["-m", "hydra/sweeper=optuna"])
    assert "pip install 'colorgan[sweeps]'" in str(stop.value.code) and "\n" not in str(stop.value.code)


@functools.cache
def top_level_imports(path: Path) -> set[str]:
    """The modules a file imports when it is imported (statements outside functions and classes), and the
    modules it asks ``import_extra`` for there."""
    found: set[str] = set()
    pending = list(ast.parse(path.read_text(), str(path)).body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "import_extra" and node.args:
            found.add(f"extra:{ast.literal_eval(node.args[0])}")
        pending.extend(ast.iter_child_nodes(node))
    return found


def loaded_with(start: str) -> set[str]:
    """Every colorgan module, and every other top-level package, that importing ``start`` imports."""
    files = {module_name(p): p for p in (ROOT / "colorgan").rglob("*.py")}
    seen, todo, outside = set(), [start], set()
    while todo:
        name = todo.pop()
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]  # their __init__ run first
        for module in [*parents, name]:
            if module in seen or module not in files:
                continue
            seen.add(module)
            for imported in top_level_imports(files[module]):
                if imported in files:
                    todo.append(imported)
                elif not imported.startswith("colorgan"):
                    outside.add(imported.removeprefix("extra:").partition(".")[0])
    return seen | outside


CORE_COMMANDS = ["colorgan.train", "colorgan.evaluate", "colorgan.compare", "colorgan.colorize", "colorgan.benchmark"]


@pytest.mark.parametrize("command", CORE_COMMANDS)
def test_a_core_command_imports_no_extras_package_until_a_feature_asks(command):
    assert not loaded_with(command) & extra_modules()


def test_the_import_walk_follows_packages_and_import_extra_but_not_late_imports():
    assert "litdata" in loaded_with("colorgan.data.streaming.layout")  # the package's __init__ runs first
    assert "colorgan.data.streaming.datamodule" in loaded_with("colorgan.data.streaming.layout")
    assert "litdata" not in loaded_with("colorgan.prepare")  # it imports the streaming modules in its task
    assert {"hydra", "omegaconf", "colorgan.cli", "colorgan.errors"} <= loaded_with("colorgan.prepare")


def run_train_without_extras(tmp_path, runs: list[list[str]]) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline"}
    env["COLORGAN_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            json.dumps([sorted(extra_modules()), sorted(extra_distributions())]),
            json.dumps(runs),
        ],  # fmt: skip
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    results = [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and len(results) == len(runs), proc.stdout[-3000:] + proc.stderr[-3000:]
    return results


def test_the_blocked_modules_are_the_extras_packages():
    modules = extra_modules()
    assert {"wandb", "tensorboard", "torch_fidelity", "hydra_plugins", "litdata", "gradio", "pytest"} <= modules
    assert not modules & {"torch", "torchvision", "pytorch_lightning", "hydra", "omegaconf", "timm", "skimage"}


# (override, the extra its message must name)
FEATURES = [
    (["logger=wandb"], "wandb"),
    (["logger=tensorboard"], "tensorboard"),
    (["data=streaming", "data.input_dir=nowhere"], "streaming"),
    (["selection_metric=val/fid"], "fid"),
    (["-m", "hparams_search=optuna"], "sweeps"),
    (["-m", "hydra/launcher=slurm"], "sweeps"),
]


@pytest.mark.slow  # one short training run in a fresh interpreter: about 30 s of CPU
def test_core_install_trains_and_a_missing_extra_is_one_line(tmp_path):
    # two real steps, not fast_dev_run: that would turn off the checkpoints and the CSV logger it must prove
    common = ["trainer.max_steps=2", "trainer.num_sanity_val_steps=0", "data.image_size=32", "data.batch_size=2",
              "data.num_workers=0"]  # fmt: skip
    runs = [[*common, "logger=csv", f"hydra.run.dir={tmp_path / 'run'}"]]
    one_batch = ["trainer.fast_dev_run=true", *common[2:], f"hydra.run.dir={tmp_path / 'feature'}"]
    runs += [[*one_batch, *override] for override, _ in FEATURES]
    trained, *features = run_train_without_extras(tmp_path, runs)
    assert trained["code"] == 0, trained
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()
    assert (tmp_path / "run" / "metrics.csv").is_file()
    assert trained["leaked"] == []
    for (override, extra), result in zip(FEATURES, features):
        assert result["code"] == 1, (override, result)
        assert "\n" not in result["message"], (override, result["message"])
        assert f"pip install 'colorgan[{extra}]'" in result["message"], (override, result["message"])
