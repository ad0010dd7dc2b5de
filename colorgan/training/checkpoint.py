"""Rebuilding a trained colorizer from its checkpoint alone, without executing code from the file.

The file is read with ``torch.load(weights_only=True)`` (tensors and plain data only), and the model
config stored in it may only name classes from colorgan, ``torch.nn`` and ``torch.optim``: a
checkpoint cannot make ``instantiate`` call anything else.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import hydra
import torch

from colorgan.models.base import ColorizationModule

CONFIG_KEY = "colorgan_model_config"
META_KEY = "colorgan_meta"
ALLOWED_TARGET_PREFIXES = ("colorgan.", "torch.nn.", "torch.optim.")
_WEIGHT_FLAGS = ("pretrained", "classifier_pretrained")


class CheckpointError(ValueError):
    """A file that is not a loadable colorgan checkpoint; the message names the file and why."""


def _safe_config(node: Any, path: Path) -> Any:
    """Copy of a stored config with every ``_target_`` checked and every weight download turned off."""
    if isinstance(node, list):
        return [_safe_config(v, path) for v in node]
    if not isinstance(node, dict):
        return node
    target = node.get("_target_")
    if target is not None and not (isinstance(target, str) and target.startswith(ALLOWED_TARGET_PREFIXES)):
        raise CheckpointError(f"{path}: refused: its model config names {target!r}, outside colorgan/torch")
    # None: no download, the weights come from the checkpoint (False would mean "train from random")
    return {k: (None if k in _WEIGHT_FLAGS else _safe_config(v, path)) for k, v in node.items()}


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint's contents, read safely; a clear error for a missing, foreign or hostile file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{path}: refused: it holds Python objects beyond tensors and plain data ({err})"
        ) from err
    except Exception as err:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint: {type(err).__name__}: {err}") from err
    if not isinstance(ckpt, dict) or CONFIG_KEY not in ckpt or "state_dict" not in ckpt:
        raise CheckpointError(f"{path}: not a colorgan checkpoint (no {CONFIG_KEY!r} inside)")
    return ckpt


def load_colorizer(path: str | Path, device: str | torch.device = "cpu") -> ColorizationModule:
    """A colorizer in eval mode on ``device``, rebuilt from the config and weights in ``path``."""
    ckpt = read_checkpoint(path)
    config = _safe_config(ckpt[CONFIG_KEY], Path(path))
    model: ColorizationModule = hydra.utils.instantiate(config, _convert_="all")
    try:
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit the model its config describes: {err}") from err
    model.meta.update(ckpt.get(META_KEY) or {})
    return model.to(device).eval()
