"""Scoring only what a checkpoint never trained on: the test split by default, trained-on photos refused.

A checkpoint carries fingerprints of its train and val files (``colorgan.data.fingerprints``). Scoring
a photo it trained on measures memorisation, not colorization, so it is refused unless asked for by
name (``allow_trained_images=true``); scoring its val photos (used to select the checkpoint) or any
split but test is allowed with a warning, recorded in metrics.json.
"""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

from colorgan.data.fingerprints import found_in
from colorgan.errors import ConfigError

log = logging.getLogger(__name__)


_RULE_KEYS = {"hash": ("val_fraction", "test_fraction", "seed"), "file": ("split_file",)}


def with_rule(data_cfg: DictConfig, rule: dict) -> DictConfig:
    """``data_cfg`` splitting by ``rule`` (a checkpoint's recorded hash or file rule)."""
    aligned = OmegaConf.create(OmegaConf.to_container(data_cfg, resolve=True))
    with open_dict(aligned):
        for key in _RULE_KEYS.get(rule.get("kind"), ()):
            aligned["split_seed" if key == "seed" else key] = rule[key]
    return aligned


def own_root(data_cfg: DictConfig, meta: dict) -> bool:
    """Whether ``data_cfg`` reads the data root the checkpoint of ``meta`` recorded."""
    root, seen = data_cfg.get("root"), (meta.get("split") or {}).get("root")
    return root is not None and seen is not None and Path(root).expanduser().absolute() == Path(seen)


def align_split(data_cfg: DictConfig, metas: list[dict]) -> DictConfig:
    """``data_cfg`` with the split rule the (first) checkpoint trained with, when it scores that checkpoint's
    own data root: its test split is then exactly the photos held out from its training and selection."""
    first = next((m for m in metas if m.get("split")), None)
    if first is None or not own_root(data_cfg, first):
        return data_cfg
    aligned = with_rule(data_cfg, first["split"]["rule"])
    if OmegaConf.to_container(aligned) != OmegaConf.to_container(data_cfg, resolve=True):
        log.info("evaluation: using the checkpoint's split rule on its own data root: %s", first["split"]["rule"])
    return aligned


def check_heldout(files: list[Path], split: str, meta: dict, allow_trained_images: bool = False) -> dict:
    """What metrics.json records about the scored images' provenance; raises on trained-on photos.

    ``meta``: each checkpoint's ``colorgan_meta`` (its ``split`` entry, when it has one).
    """
    record: dict = {"split": split, "warnings": []}
    for name, m in meta.items():
        seen = m.get("split") or {}
        trained, selected = found_in(files, seen.get("train_keys")), found_in(files, seen.get("val_keys"))
        if trained and not allow_trained_images:
            raise ConfigError(
                f"{len(trained)} of the {len(files)} images to score ({split} split) are photos that {name} "
                f"trained on, e.g. {trained[0]}: scores on them measure memorisation. Score its test split "
                "(split=test, the default) or a folder it never saw; allow_trained_images=true to score them anyway"
            )
        if trained:
            record["warnings"].append(f"{len(trained)} images are photos {name} trained on (allow_trained_images)")
        if selected:
            record["warnings"].append(f"{len(selected)} images are photos {name}'s checkpoint was selected on")
        if not seen:
            record["warnings"].append(f"{name} records no split (an older checkpoint): overlap unknown")
    if split != "test" and not (split == "all" and not record["warnings"]):
        record["warnings"].append(f"split={split}: not the held-out test split")
    for warning in record["warnings"]:
        log.warning("evaluation: %s", warning)
    return record
