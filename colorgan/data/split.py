"""Train / val / test splits of a photo collection: made by a rule, recorded, and stable as photos are added.

Three rules, in this order of precedence for ``data=folder``:
- ``split_file``: a JSON file ``{"train": [...], "val": [...], "test": [...]}`` of paths relative to the
  root (a run's own ``RUN/split.json`` reproduces that run's split exactly);
- ``layout``: ``root/train``, ``root/val``, ``root/test`` subfolders used as given (a missing val or test
  folder is carved out of train by the hash rule);
- ``hash``: each file goes to test, val or train by a stable hash of (seed, its path relative to root),
  so adding photos never moves old ones between splits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from colorgan.data.file_table import FileTable

SPLITS = ("train", "val", "test")
LAYOUT_DIRS = {"train": ("train",), "val": ("val", "valid", "validation"), "test": ("test",)}


@dataclass
class Split:
    """The files of each split and the rule that made them (recorded in split.json and checkpoints)."""

    train: list[Path]
    val: list[Path]
    test: list[Path]
    rule: dict = field(default_factory=dict)

    def files(self, name: str) -> list[Path]:
        """One split's files, or every file for ``all``."""
        if name == "all":
            return sorted(self.train + self.val + self.test)
        if name not in SPLITS:
            raise ValueError(f"split must be one of {', '.join((*SPLITS, 'all'))}; got {name!r}")
        return getattr(self, name)

    def keep(self, usable: set[Path]) -> Split:
        """The same split without the files not in ``usable`` (those the data check skipped)."""
        return Split(*([f for f in self.files(s) if f in usable] for s in SPLITS), rule=self.rule)

    def record(self, root: Path | None) -> dict:
        """``{"train": [...], "val": [...], "test": [...], "rule": {...}}``, paths relative to ``root``."""
        rel = (lambda f: f.relative_to(root).as_posix()) if root is not None else (lambda f: str(f))

        def listed(files: Sequence[Path]) -> list[str]:
            if isinstance(files, FileTable) and files.root == root:
                return files.relpaths()  # already relative: no Path object per file
            return [rel(f) for f in files]

        return {**{s: listed(self.files(s)) for s in SPLITS}, "rule": self.rule}


def unit_hash(key: str) -> float:
    """A number in [0, 1) that depends only on ``key``."""
    digest = hashlib.sha1(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    for name, value in (("data.val_fraction", val_fraction), ("data.test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {value}")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(f"data.val_fraction + data.test_fraction must be < 1, got {val_fraction + test_fraction}")


def hash_split(files: Sequence[Path], root: Path, val_fraction: float, test_fraction: float, seed: int = 0) -> Split:
    """Test when hash(seed, relative path) < test_fraction, val when below test + val fractions, else train.

    With at least three files, every split with a positive fraction gets at least one (tiny folders).
    A ``FileTable`` in gives ``FileTable``s out, without a Path object per file (ImageNet-sized folders).
    """
    _check_fractions(val_fraction, test_fraction)
    table = isinstance(files, FileTable) and files.root == root
    rel = files.relpaths() if table else [Path(f).relative_to(root).as_posix() for f in files]
    hashes = [unit_hash(f"{seed}:{r}") for r in rel]
    scored = sorted(range(len(rel)), key=hashes.__getitem__)
    bounds = {"test": (0.0, test_fraction), "val": (test_fraction, test_fraction + val_fraction)}
    parts = {s: [i for i in scored if lo <= hashes[i] < hi] for s, (lo, hi) in bounds.items()}
    parts["train"] = [i for i in scored if hashes[i] >= test_fraction + val_fraction]
    for name, fraction in (("test", test_fraction), ("val", val_fraction)):
        if fraction > 0 and not parts[name] and len(parts["train"]) >= 2:
            parts[name].append(parts["train"].pop(0))  # the lowest hash: still stable as files are added
    rule = {"kind": "hash", "val_fraction": val_fraction, "test_fraction": test_fraction, "seed": seed}
    if table:
        return Split(*(files.select(sorted(parts[s])) for s in SPLITS), rule=rule)
    return Split(*(sorted(Path(files[i]) for i in parts[s]) for s in SPLITS), rule=rule)


def layout_split(
    root: Path, find: Callable[[Path], list[Path]], val_fraction: float, test_fraction: float, seed: int = 0
) -> Split | None:
    """``root/train`` (+ ``root/val``, ``root/test``) as given; None when there is no ``root/train``.

    A missing val or test folder is carved out of train by the hash rule, and the rule says so.
    """
    dirs = {s: next((root / d for d in LAYOUT_DIRS[s] if (root / d).is_dir()), None) for s in SPLITS}
    if dirs["train"] is None:
        return None
    given = {s: find(d) for s, d in dirs.items() if d is not None}
    carve = {"val": val_fraction if "val" not in given else 0.0, "test": test_fraction if "test" not in given else 0.0}
    carved = hash_split(given["train"], root, carve["val"], carve["test"], seed)
    parts = {s: given.get(s, []) + carved.files(s) for s in SPLITS}
    rule = {"kind": "layout", "folders": {s: d.name for s, d in dirs.items() if d is not None}}
    if any(carve.values()):
        rule["carved_from_train"] = {s: v for s, v in carve.items() if v} | {"seed": seed}
    return Split(*(sorted(parts[s]) for s in SPLITS), rule=rule)


def file_split(root: Path, split_file: str | Path) -> Split:
    """The split listed in a JSON file (paths relative to ``root``, or absolute); missing files are named."""
    path = Path(split_file).expanduser()
    try:
        listed = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise FileNotFoundError(f"data.split_file: cannot read {path}: {err}") from err
    if not isinstance(listed, dict) or "train" not in listed:
        raise ValueError(f"data.split_file {path}: expected {{'train': [...], 'val': [...], 'test': [...]}}")
    parts = {s: [root / p for p in listed.get(s, [])] for s in SPLITS}
    missing = [p for s in SPLITS for p in parts[s] if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"data.split_file {path}: {len(missing)} listed files do not exist below {root}, e.g. {missing[0]}"
        )
    return Split(*(sorted(parts[s]) for s in SPLITS), rule={"kind": "file", "split_file": str(path.resolve())})
