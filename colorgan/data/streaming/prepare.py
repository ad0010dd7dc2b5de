"""Writing a data module's checked train/val/test splits as a prepared dataset (layout.py) for data=streaming.

The images are the files' own bytes (any format Pillow reads; JPEGs keep their draft-mode decode) or,
with ``max_side``, each photo upright, as RGB, resized to at most ``max_side`` pixels on its long side and
re-encoded as JPEG. Only files the data check kept are written, split exactly as ``data=folder`` splits them.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

from PIL import Image

from colorgan.data.datamodule import ColorizationDataModule
from colorgan.data.file_table import FileTable
from colorgan.data.images import load_rgb
from colorgan.data.split import SPLITS
from colorgan.data.streaming.layout import FORMAT_VERSION, META_NAME, SPLIT_NAME, is_remote, join, write_json
from colorgan.errors import import_extra

litdata = import_extra("litdata", "streaming", "a prepared dataset (data=streaming, python -m colorgan.prepare)")

log = logging.getLogger(__name__)


class EncodeFile:
    """Index -> ``{"image": bytes, "path": relative path}``: the file's bytes, or resized and re-encoded."""

    def __init__(self, files: FileTable, max_side: int | None, quality: int, max_pixels: int):
        self.files, self.max_side, self.quality, self.max_pixels = files, max_side, quality, max_pixels

    def __call__(self, i: int) -> dict:
        path = self.files[i]
        if self.max_side is None:
            return {"image": path.read_bytes(), "path": self.files.relpath(i)}
        img = load_rgb(path, self.max_side, self.max_pixels)  # upright RGB; JPEGs decoded at reduced scale
        img.thumbnail((self.max_side, self.max_side), Image.LANCZOS)  # keeps the aspect, never enlarges
        buffer = io.BytesIO()
        img.save(buffer, format="JPEG", quality=self.quality)
        return {"image": buffer.getvalue(), "path": self.files.relpath(i)}


def prepare_dataset(
    datamodule: ColorizationDataModule,
    out: str,
    max_side: int | None = None,
    quality: int = 95,
    chunk_bytes: str = "64MB",
    num_workers: int = 1,
    overwrite: bool = False,
) -> dict:
    """Write ``datamodule``'s checked splits to ``out`` (see the module docstring); return colorgan.json."""
    if not is_remote(out) and Path(out).exists() and any(Path(out).iterdir()) and not overwrite:
        raise FileExistsError(f"out={out} exists and is not empty: choose another folder, or add overwrite=true")
    datamodule.setup()
    root = datamodule.root if datamodule.root is not None else Path("/")
    meta = datamodule.split_meta()
    counts = {}
    for split in SPLITS:
        files = FileTable.from_paths(root, datamodule.split.files(split))
        counts[split] = len(files)
        if len(files) == 0:
            continue
        log.info("prepare: writing %d %s images to %s", len(files), split, join(out, split))
        litdata.optimize(
            fn=EncodeFile(files, max_side, quality, datamodule.limits["max_pixels"]),
            inputs=list(range(len(files))),
            output_dir=join(out, split),
            chunk_bytes=chunk_bytes,
            num_workers=max(1, num_workers),
            mode="overwrite" if overwrite else None,
            start_method="fork" if os.name == "posix" else None,  # spawn re-imports torch in every worker: ~20 s
            verbose=False,
        )
    record = {
        "version": FORMAT_VERSION, "root": str(root), "rule": meta["rule"], "counts": counts,
        "limits": datamodule.limits, "max_side": max_side, "jpeg_quality": quality if max_side else None,
        "train_keys": meta["train_keys"].tolist(), "val_keys": meta["val_keys"].tolist(),
    }  # fmt: skip
    write_json(join(out, SPLIT_NAME), datamodule.split_record())
    write_json(join(out, META_NAME), record)
    return record
