"""colorgan as an installable package: its metadata agrees with the pinned requirements, and the
commands find their Hydra configs from any directory, from a checkout and from a built wheel."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import setuptools
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import CONF_DIR, ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
# every module at the top of colorgan/ is a command (design.md), except these; a command may be a package
# with a __main__.py (the demo)
COMMANDS = sorted(
    {p.stem for p in (ROOT / "colorgan").glob("*.py")} - {"__init__", "cli", "errors", "inference"}
    | {p.parent.name for p in (ROOT / "colorgan").glob("*/__main__.py")}
)
HYDRA_COMMANDS = ("train", "evaluate", "compare")


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def _project_requirements() -> dict[str, Requirement]:
    extras = [r for group in PROJECT["optional-dependencies"].values() for r in group]
    reqs = [Requirement(r) for r in PROJECT["dependencies"] + extras]
    return {canonicalize_name(r.name): r for r in reqs if canonicalize_name(r.name) != "colorgan"}


def test_project_dependencies_are_the_pinned_requirements_and_admit_their_versions():
    pinned = {canonicalize_name(Requirement(r).name) for r in _requirement_lines(ROOT / "requirements.txt")}
    versions = {
        canonicalize_name(name): Version(version)
        for name, version in (r.split("==") for r in _requirement_lines(ROOT / "constraints.txt"))
    }
    project = _project_requirements()
    assert set(project) == pinned
    refused = {name: str(r.specifier) for name, r in project.items() if versions[name] not in r.specifier}
    assert not refused, f"the tested versions in constraints.txt do not satisfy pyproject's ranges: {refused}"


def test_every_package_and_command_is_in_the_package():
    found = setuptools.find_packages(str(ROOT), include=["colorgan", "colorgan.*"])
    assert sorted(PYPROJECT["tool"]["setuptools"]["packages"]) == sorted([*found, "colorgan.conf"])
    scripts = PROJECT["scripts"]
    assert sorted(scripts) == sorted(f"colorgan-{c}" for c in COMMANDS)
    for target in scripts.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function))


def _print_configs(cwd: Path, pythonpath: Path, commands: tuple[str, ...] = HYDRA_COMMANDS) -> str:
    """Each Hydra command's composed config, called the way a console script calls it: ``main()`` of
    the imported module (Hydra then resolves config paths from the module, not from a file)."""
    calls = "; ".join(
        f"sys.argv = ['colorgan-{c}', '--cfg', 'job']; __import__('colorgan.{c}', fromlist=['main']).main()"
        for c in commands
    )
    calls += "; import " + ", ".join(f"colorgan.{c}" for c in COMMANDS)
    calls += "; print('gradio imported by:', [m for m in sys.modules if m.startswith('gradio')] or 'none')"
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled"}
    run = subprocess.run(
        [sys.executable, "-c", f"import sys; {calls}"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def test_commands_find_their_configs_from_any_directory_and_none_needs_gradio(tmp_path):
    out = _print_configs(tmp_path, ROOT)
    assert out.count("task_name: train") == 1 and "ckpt_path: ???" in out and "ckpts: ???" in out
    assert "gradio imported by: none" in out  # only the demo's page imports it, when it starts


def test_a_wheel_carries_the_configs_and_its_commands_find_them(tmp_path):
    if Version(setuptools.__version__) < Version("77"):
        pytest.skip(f"setuptools {setuptools.__version__} cannot build this pyproject (needs >= 77)")
    src = tmp_path / "src"  # a copy: setuptools builds in the source tree
    for name in ("colorgan", "conf"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (wheel,) = tmp_path.glob("colorgan-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
        zf.extractall(tmp_path / "site")
    configs = {f"colorgan/conf/{p.relative_to(CONF_DIR).as_posix()}" for p in CONF_DIR.rglob("*.yaml")}
    assert configs and configs <= names
    assert all(f"colorgan-{c} = colorgan.{c}:main" in entry_points for c in COMMANDS)
    (tmp_path / "elsewhere").mkdir()
    out = _print_configs(tmp_path / "elsewhere", tmp_path / "site", ("train",))  # the unpacked wheel only
    assert out.count("task_name: train") == 1


def test_the_citation_and_the_licence_name_this_version_and_the_package_licence():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    version = importlib.import_module("colorgan").__version__
    assert citation["cff-version"] == "1.2.0"
    assert citation["version"] == citation["preferred-citation"]["version"] == version
    assert citation["license"] == citation["preferred-citation"]["license"] == PROJECT["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 the colorgan authors\n")
    assert PROJECT["license-files"] == ["LICENSE"]


def test_the_python_floor_is_one_number_everywhere_and_this_interpreter_meets_it():
    floor = Version(PROJECT["requires-python"].removeprefix(">="))
    assert floor >= Version("3.11")  # numpy 2.4 needs it, and these tests read TOML with tomllib
    assert PYPROJECT["tool"]["ruff"]["target-version"] == f"py{floor.major}{floor.minor}"
    versions = [
        c.rsplit(" :: ", 1)[-1] for c in PROJECT["classifiers"] if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert min(map(Version, versions)) == floor
    assert sys.version_info >= (floor.major, floor.minor)
