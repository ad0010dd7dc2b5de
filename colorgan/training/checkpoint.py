"""Rebuilding a trained colorizer from its checkpoint alone, without executing code from the file.

The file is read with ``torch.load(weights_only=True)`` (tensors and plain data only). The model
config stored in it is checked whole before anything is built: every ``_target_`` must be one of
the objects in ``colorgan.training.allowlist`` (and is replaced by that object, so no name from
the file is ever imported), ``_partial_`` only on factories (optimizers, schedulers, norm layers, zhang16's net),
no other Hydra key (``_args_``, ``_recursive_``, ``_convert_``...), no interpolation (``${...}``)
and nothing but plain values. Only then does ``instantiate`` run, on the parts the colorizer needs outside
training: the model is rebuilt as its ``colorgan.models.colorizer`` class (the generator, its bins and hint
settings), so a GAN's discriminator and every optimizer are checked but never built, and Lightning is never
imported.
"""

from __future__ import annotations

import inspect
import pickle
import zipfile
from pathlib import Path
from typing import Any

import hydra
import torch

from colorgan.errors import CheckpointError, ConfigError
from colorgan.evaluation.provenance import Checkpoints, checkpoint_facts, pretrained_parts
from colorgan.models.colorizer import META_KEY, MODEL_CONFIG_KEY, BinColorizer, Colorizer
from colorgan.training.allowlist import COLORIZERS, FACTORIES, TARGETS

_WEIGHT_FLAGS = ("pretrained", "classifier_pretrained")
_PLAIN = (str, int, float, bool, type(None))


def _refuse(path: Path, where: str, why: str) -> CheckpointError:
    return CheckpointError(f"{path}: refused: its model config {why} (at {where or 'the top level'})")


def _checked_target(node: dict, path: Path, where: str) -> Any:
    """The allowed object ``node["_target_"]`` names; its ``_partial_`` checked too."""
    name = node["_target_"]
    target = TARGETS.get(name) if isinstance(name, str) else None
    if target is None:
        allowed = "a colorgan model or net, a norm layer, an optimizer or a scheduler"
        raise _refuse(path, where, f"names {name!r}, which is not on colorgan's allow-list ({allowed})")
    partial = node.get("_partial_", False)
    if not isinstance(partial, bool) or (partial and target not in FACTORIES):
        raise _refuse(path, where, f"asks for _partial_={partial!r} on {name!r}, which is not a factory")
    return target


def _safe_config(node: Any, path: Path, where: str = "") -> Any:
    """Copy of a stored config with every ``_target_`` replaced by its allowed object and every
    weight download turned off; ``CheckpointError`` naming the culprit otherwise."""
    if isinstance(node, (list, tuple)):
        return [_safe_config(v, path, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:
        raise _refuse(path, where, f"holds an interpolation or resolver {node!r}")
    if isinstance(node, _PLAIN):
        return node
    if not isinstance(node, dict):
        raise _refuse(path, where, f"holds a {type(node).__name__}, not a plain value")
    out = {}
    for key, value in node.items():
        at = f"{where}.{key}" if where else str(key)
        if not isinstance(key, str) or "${" in key:
            raise _refuse(path, where, f"has the key {key!r}")
        if key.startswith("_") and key.endswith("_") and key not in ("_target_", "_partial_"):
            raise _refuse(path, at, f"uses Hydra's {key!r}, which a stored config may not")
        if key == "_target_":
            out[key] = _checked_target(node, path, where)
        elif key == "_partial_" and "_target_" not in node:
            raise _refuse(path, at, "has _partial_ without a _target_")
        else:
            # None: no download, the weights come from the checkpoint (False would mean "train from random")
            out[key] = None if key in _WEIGHT_FLAGS else _safe_config(value, path, at)
    return out


def checked_model_config(config: Any, path: str | Path) -> dict:
    """A stored model config, checked whole (see the module docstring), ready for ``instantiate``."""
    path = Path(path)
    if not isinstance(config, dict) or "_target_" not in config:
        raise CheckpointError(f"{path}: its model config is not a colorgan model config")
    safe = _safe_config(config, path)
    if config["_target_"] not in COLORIZERS:
        raise _refuse(path, "", f"builds {config['_target_']!r}, which is not a colorgan colorizer")
    return safe


def inference_config(safe: dict, state: dict, path: Path) -> dict:
    """A checked model config cut to what its colorizer class takes: the training-only parts (a GAN's
    discriminator, optimizers, schedules, loss weights) are left out, never built. Bins come from the weights'
    own ``bins`` when the config does not list them (a config naming a grid or a bins file instead)."""
    classes = [cls for cls in safe["_target_"].__mro__ if issubclass(cls, Colorizer)]
    takes = {name for cls in classes for name in inspect.signature(cls.__init__).parameters}
    config = {k: v for k, v in safe.items() if k == "_target_" or k in takes}
    if issubclass(safe["_target_"], BinColorizer) and config.get("bins") is None:
        if "bins" not in state:
            raise CheckpointError(f"{path}: a zhang16 checkpoint without ab bins in its config or its weights")
        config["bins"] = state["bins"].tolist()
    return config


def _own_weights(state: dict, safe: dict, config: dict) -> dict:
    """The checkpoint's weights less those of the parts ``inference_config`` left out (a GAN's discriminator):
    any other weight the model lacks, or lacks a weight for, still fails the strict load."""
    left_out = set(safe) - set(config)
    return {key: value for key, value in state.items() if key.split(".", 1)[0] not in left_out}


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint's contents, read safely; a clear error for a missing, foreign or hostile file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:  # memory-mapped when it can be (torch's zip format): optimizer states that are never used stay unread
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{path}: refused: it holds Python objects beyond tensors and plain data ({err})"
        ) from err
    except Exception as err:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint: {type(err).__name__}: {err}") from err
    if not isinstance(ckpt, dict) or MODEL_CONFIG_KEY not in ckpt or "state_dict" not in ckpt:
        raise CheckpointError(f"{path}: not a colorgan checkpoint (no {MODEL_CONFIG_KEY!r} inside)")
    return ckpt


def load_colorizer(path: str | Path, device: str | torch.device = "cpu") -> Colorizer:
    """A colorizer in eval mode on ``device``, rebuilt from the config and weights in ``path``; its meta also says
    what the file is (``meta["checkpoint"]``: steps, epochs, last or best; ``meta["pretrained"]``: which parts
    started from pretrained weights); ``model_config`` is the config stored in it."""
    ckpt = read_checkpoint(path)
    safe = checked_model_config(ckpt[MODEL_CONFIG_KEY], path)  # nothing is imported or called before this passes
    config = inference_config(safe, ckpt["state_dict"], Path(path))
    model: Colorizer = hydra.utils.instantiate(config, _convert_="all")
    try:
        model.load_state_dict(_own_weights(ckpt["state_dict"], safe, config), strict=True)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit the model its config describes: {err}") from err
    model.model_config = ckpt[MODEL_CONFIG_KEY]
    model.meta.update(ckpt.get(META_KEY) or {})
    model.meta["checkpoint"] = checkpoint_facts(ckpt, path)
    model.meta["pretrained"] = pretrained_parts(ckpt[MODEL_CONFIG_KEY])  # as trained: the stored flags, not None
    return model.to(device).eval()


def default_name(model: Colorizer, ckpt: Path) -> str:
    """``gan (03-11-58/last)``: the model config's name, its run directory and the checkpoint stem."""
    run = ckpt.parent.parent.name if ckpt.parent.name == "checkpoints" else ckpt.parent.name
    return f"{model.meta['name']} ({run}/{ckpt.stem})"


def load_checkpoints(paths: list, names: list | None, device: str | torch.device = "cpu") -> Checkpoints:
    """Every checkpoint under a unique key, and the rows: checkpoints given the same name are one row (its seeds);
    without names each is its own row, named by ``default_name``."""
    if not paths:
        raise ConfigError("no checkpoint to score: give ckpt_path=RUN/checkpoints/last.ckpt or ckpts=[A.ckpt,B.ckpt]")
    names = list(names) if names else [None] * len(paths)
    if len(names) != len(paths):
        raise ConfigError(f"{len(names)} names for {len(paths)} checkpoints")
    loaded = Checkpoints({}, {}, {})
    for path, name in zip(map(Path, paths), names):
        model = load_colorizer(path, device)
        row = name or default_name(model, path)
        if name is None and row in loaded.groups:
            raise ConfigError(f"two checkpoints are both named {row!r}; pass names=[...] (equal names merge seeds)")
        key = row if row not in loaded.groups else f"{row} #{len(loaded.groups[row]) + 1}"
        loaded.models[key], loaded.paths[key] = model, path
        loaded.groups.setdefault(row, []).append(key)
    return loaded
