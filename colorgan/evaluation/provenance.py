"""What a checkpoint is, as a comparison table must say it: how long it trained, whether its pretrained parts
had their weights, and which of the run's checkpoints it is (the last, or the best by a metric)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from colorgan.models.colorizer import Colorizer

LAST_NAME = "last.ckpt"  # colorgan.training.resume.LastCheckpoint's file
RANDOM = "random init"
# model-config keys of the weights a net loads, and the key naming the net that has them
WEIGHT_PARTS = {"pretrained": ("backbone", "encoder"), "classifier_pretrained": ("classifier", "classifier")}


@dataclass
class Checkpoints:
    """The checkpoints of a table, loaded (``colorgan.training.checkpoint.load_checkpoints``): the models under
    unique keys, the rows (a row merges the checkpoints given one name: its seeds) and each key's file."""

    models: dict[str, Colorizer]
    groups: dict[str, list[str]]
    paths: dict[str, Path]


def _weights(value: Any) -> str:
    if value is True or (isinstance(value, str) and value.lower() == "true"):
        return "ImageNet weights (hub)"
    if isinstance(value, str) and value.lower() != "false":
        return f"weights file {value}"
    return RANDOM


def pretrained_parts(model_config: dict) -> dict[str, str]:
    """``{"resnet18 encoder": "ImageNet weights (hub)" | "weights file ..." | "random init"}`` for every net of
    the model config that can load pretrained weights, as the run built it (before training)."""
    parts: dict[str, str] = {}
    nodes = [model_config]
    while nodes:
        node = nodes.pop(0)
        if isinstance(node, dict):
            for flag, (name_key, role) in WEIGHT_PARTS.items():
                if flag in node:
                    parts[f"{node.get(name_key, '?')} {role}"] = _weights(node[flag])
            nodes += [v for v in node.values() if isinstance(v, (dict, list))]
        elif isinstance(node, list):
            nodes += node
    return parts


def _best_of(ckpt: dict) -> tuple[str, str, float | None] | None:
    """``(file name, monitored metric, score)`` of the best checkpoint its ModelCheckpoint knew when saving."""
    for key, state in (ckpt.get("callbacks") or {}).items():
        if str(key).startswith("ModelCheckpoint") and isinstance(state, dict) and state.get("best_model_path"):
            score = state.get("best_model_score")
            return Path(state["best_model_path"]).name, state.get("monitor"), None if score is None else float(score)
    return None


def checkpoint_facts(ckpt: dict, path: str | Path) -> dict:
    """Steps and epochs trained and which checkpoint of its run the file is, from a Lightning checkpoint."""
    loops = ((ckpt.get("loops") or {}).get("fit_loop") or {}).get("epoch_progress") or {}
    completed = (loops.get("current") or {}).get("completed")
    facts: dict[str, Any] = {"steps": ckpt.get("global_step"), "epochs": completed, "epoch": ckpt.get("epoch")}
    best = _best_of(ckpt)
    if best is not None and best[0] == Path(path).name:
        facts["selection"] = f"best by {best[1]}" + ("" if best[2] is None else f" ({best[2]:.4g})")
    elif Path(path).name == LAST_NAME:
        facts["selection"] = "last"
    else:
        facts["selection"] = "neither the run's best nor its last"
    return facts
