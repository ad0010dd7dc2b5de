"""Which photos of a data root a table scores, and how they are made square, when no protocol fixes both.

The split (``split=auto``, the default): on the data the checkpoints trained on (their recorded root, or a
folder holding any photo they trained or were selected on) the held-out test split, with their own split
rule; on a folder split by the hash rule that none of them ever saw, every photo: the hash split would
otherwise hold most of a new folder back for no reason. A folder with its own train/val/test layout or
split file, the sample photos and ImageNet keep their test split.

The geometry: the one the (first) checkpoint trained and was validated with (its meta), unless
``eval_geometry`` / ``eval_size`` say otherwise; a row that trained with another one is named in a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import hydra
from omegaconf import DictConfig

from colorgan.data.fingerprints import found_in
from colorgan.data.folder import FolderDataModule
from colorgan.data.geometry import Geometry
from colorgan.evaluation.heldout import align_split, own_root, with_rule

log = logging.getLogger(__name__)


def _seen_keys(meta: dict):
    seen = meta.get("split") or {}
    return [k for k in (seen.get("train_keys"), seen.get("val_keys")) if k is not None]


def choose_split(cfg: DictConfig, metas: dict[str, dict]) -> tuple[DictConfig, list[Path], dict]:
    """The data config to read, the files to score and what metrics.json records about the choice."""
    split = cfg.get("split") or "auto"
    data_cfg = align_split(cfg.data, list(metas.values()))
    if split != "auto":
        return data_cfg, hydra.utils.instantiate(data_cfg).eval_files(split), {"split": split}
    data = hydra.utils.instantiate(data_cfg)
    if not isinstance(data, FolderDataModule) or any(own_root(data_cfg, m) for m in metas.values()):
        return data_cfg, data.eval_files("test"), {"split": "test", "split_reason": _test_reason(data, metas)}
    files = data.eval_files("all")
    if data.split.rule.get("kind") != "hash":
        reason = f"the folder's own test split ({data.split.rule.get('kind')} rule)"
        return data_cfg, data.eval_files("test"), {"split": "test", "split_reason": reason}
    owner = next((m for m in metas.values() if any(found_in(files, k) for k in _seen_keys(m))), None)
    if owner is not None:  # a copy of the checkpoint's photos: its rule on the same relative paths
        data_cfg = with_rule(data_cfg, owner["split"]["rule"])
        reason = "photos a checkpoint trained or was selected on are in this folder: its held-out test split"
        return data_cfg, hydra.utils.instantiate(data_cfg).eval_files("test"), {"split": "test", "split_reason": reason}
    reason = "a folder none of the checkpoints trained on (not their data root, no photo in common): every photo"
    log.info("evaluation: %s (%d)", reason, len(files))
    return data_cfg, files, {"split": "all", "split_reason": reason}


def _test_reason(data, metas: dict[str, dict]) -> str:
    if isinstance(data, FolderDataModule):
        return "the checkpoint's own data root: the photos held out from its training and selection"
    return f"the held-out test split of {type(data).__name__}"


def scoring_geometry(cfg: DictConfig, metas: dict[str, dict]) -> tuple[Callable, dict]:
    """The transform every row is scored through and what metrics.json records about it."""
    recorded = {name: Geometry.from_dict(m["geometry"]) for name, m in metas.items() if m.get("geometry")}
    if recorded:
        base, source = next(iter(recorded.values())), f"the training geometry of {next(iter(recorded))}"
    else:  # a checkpoint from before geometries were recorded: how those were always scored
        base, source = Geometry("crop", int(cfg.data.image_size)), "data.image_size (no geometry in the checkpoint)"
    kind, size = cfg.get("eval_geometry") or base.kind, cfg.get("eval_size") or base.scored_size
    if cfg.get("eval_geometry") or cfg.get("eval_size"):
        source = "eval_geometry / eval_size"
    geometry = Geometry(kind, int(size), eval_size=int(size))
    record = {"image_size": int(size), "geometry": {"kind": kind, "size": int(size), "source": source,
                                                    "preprocessing": geometry.describe()}}  # fmt: skip
    others = [n for n, g in recorded.items() if (g.kind, g.scored_size) != (kind, int(size))]
    record["warnings"] = [
        f"{n} trained and was validated on {recorded[n].describe()}; scored here on {geometry.describe()}"
        for n in others
    ]
    return geometry.eval_transform(), record
