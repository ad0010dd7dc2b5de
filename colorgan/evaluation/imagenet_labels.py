"""ImageNet class labels of validation images, for the classifier on colorized images (semantic.py).

Class indices are the standard ones (timm, torchvision, Caffe's ``val.txt``): the position of a
class's WordNet id in the sorted list of the 1000 ILSVRC2012 WNIDs. Accepted ``labels=`` sources:

- the devkit's ``ILSVRC2012_validation_ground_truth.txt`` (50,000 devkit ids, one a line, for
  ILSVRC2012_val_00000001 ... 00050000) with the devkit's ``meta.mat`` beside it (devkit id -> WNID);
- a text or CSV file with one image a line: ``ILSVRC2012_val_00000001.JPEG 65`` (an index),
  ``ILSVRC2012_val_00000001.JPEG n01751748`` (a WNID), or Kaggle's ``LOC_val_solution.csv``
  (``ILSVRC2012_val_00000001,n01751748 x y x y ...``);
- ``folders``: each image's parent folder is its WNID (``val/nXXXXXXXX/*.JPEG``).

WNIDs become indices through the 1000 WNIDs of ``meta.mat``, of the file itself, or of ``data.root``'s
``train/`` (or ``val/``) class folders, whichever has all 1000.
"""

from __future__ import annotations

import re
from pathlib import Path

NUM_CLASSES = 1000
_WNID = re.compile(r"^n\d{8}$")


def _class_folders(root: Path | None) -> list[str]:
    for sub in ("train", "val"):
        folder = None if root is None else Path(root).expanduser() / sub
        if folder is not None and folder.is_dir():
            wnids = sorted(p.name for p in folder.iterdir() if p.is_dir() and _WNID.match(p.name))
            if len(wnids) == NUM_CLASSES:
                return wnids
    return []


def _index_of_wnid(wnids: list[str], source: str) -> dict[str, int]:
    if len(set(wnids)) != NUM_CLASSES:
        raise ValueError(
            f"labels: {source} names {len(set(wnids))} ImageNet classes; mapping WordNet ids to the classifier's "
            f"{NUM_CLASSES} indices needs all of them (the devkit's meta.mat, or data.root with 1000 class folders)"
        )
    return {w: i for i, w in enumerate(sorted(set(wnids)))}


def _devkit(path: Path) -> dict[str, int]:
    meta = path.with_name("meta.mat")
    if not meta.is_file():
        raise FileNotFoundError(f"labels: {path} holds devkit ids; their WNIDs are in the devkit's meta.mat: {meta}")
    from scipy.io import loadmat

    synsets = loadmat(str(meta), squeeze_me=True)["synsets"]
    wnid_of = {int(s["ILSVRC2012_ID"]): str(s["WNID"]) for s in synsets if int(s["ILSVRC2012_ID"]) <= NUM_CLASSES}
    index = _index_of_wnid(list(wnid_of.values()), str(meta))
    ids = [int(x) for x in path.read_text().split()]
    return {f"ILSVRC2012_val_{i:08d}.JPEG": index[wnid_of[k]] for i, k in enumerate(ids, start=1)}


def _listing(path: Path, root: Path | None) -> dict[str, int]:
    pairs = []
    for line in path.read_text().splitlines():
        fields = re.split(r"[,\s]+", line.strip())
        if len(fields) < 2 or fields[0] == "ImageId":
            continue
        name = fields[0] if Path(fields[0]).suffix else f"{fields[0]}.JPEG"
        pairs.append((name, fields[1]))
    if not pairs:
        raise ValueError(f"labels: no 'image label' lines in {path}")
    if all(label.isdigit() for _, label in pairs):
        return {name: int(label) for name, label in pairs}
    wnids = _class_folders(root) or [label for _, label in pairs]
    index = _index_of_wnid(wnids, str(path))
    unknown = next((label for _, label in pairs if label not in index), None)
    if unknown is not None:
        raise ValueError(f"labels: {path} names {unknown!r}, not an ImageNet class id")
    return {name: index[label] for name, label in pairs}


def load_labels(source: str, files: list[Path], root: str | Path | None = None) -> dict[Path, int]:
    """The class index of each of ``files`` from ``source`` (see above); an unlabelled file is named."""
    if source == "folders":
        wnids = _class_folders(Path(root) if root else None) or [f.parent.name for f in files]
        index = _index_of_wnid(wnids, "the class folders")
        labels = {f: index[f.parent.name] for f in files if f.parent.name in index}
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"labels file not found: {path}")
        lines = path.read_text().split(maxsplit=2)
        by_name = (
            _devkit(path) if len(lines) > 1 and lines[0].isdigit() and lines[1].isdigit() else _listing(path, root)
        )
        labels = {f: by_name[f.name] for f in files if f.name in by_name}
    unlabelled = [f for f in files if f not in labels]
    if unlabelled:
        raise ValueError(
            f"labels: {len(unlabelled)} of {len(files)} images have no label in {source}, e.g. {unlabelled[0]}"
        )
    return labels
