"""``data=streaming``: train from a dataset ``python -m colorgan.prepare`` wrote, local or in object storage.

litdata streams the chunks (downloading and caching them when remote), shards them across DDP ranks
and DataLoader workers, and its loader's position is part of every checkpoint (Lightning saves a
stateful train loader's ``state_dict``), so a resumed run continues at the very next sample. Items
are decoded exactly as ``data=folder`` decodes files (draft-mode JPEG, EXIF upright, any mode to RGB)
and transformed by the same transforms: the batches are the same ``{"rgb": uint8, "path": str}``.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset

from colorgan.data.datamodule import ColorizationDataModule
from colorgan.data.file_table import FileTable
from colorgan.data.sampler import PADDING, ResumableSampler
from colorgan.data.split import SPLITS, Split
from colorgan.data.streaming.layout import FORMAT_VERSION, META_NAME, SPLIT_NAME, join, read_json
from colorgan.errors import ConfigError, import_extra

litdata = import_extra("litdata", "streaming", "a prepared dataset (data=streaming, python -m colorgan.prepare)")


class DecodeItem:
    """A stored ``{"image": bytes, "path": str}`` -> ``{"rgb": uint8 (3, S, S), "path": str}``."""

    def __init__(self, transform, max_pixels: int):
        self.transform, self.max_pixels = transform, max_pixels  # a transform of Geometry: it reads at its scale

    def __call__(self, item: dict) -> dict:
        try:
            rgb = self.transform.load(io.BytesIO(item["image"]), self.max_pixels)
        except Exception as err:
            raise OSError(f"cannot decode the prepared image of {item['path']}: {err}") from err
        return {"rgb": rgb, "path": item["path"]}


class PreparedItems(Dataset):
    """A prepared split read by index, for validation and testing: the evaluation sampler gives every DDP
    rank the same number of batches (litdata's own sharding gives a rank whole batches, and a small val
    split none at all on some ranks), and an item that no longer decodes is left out and counted, as
    ``data=folder`` does, instead of stopping the run."""

    def __init__(self, stream: litdata.StreamingDataset, decode: DecodeItem, size: int):
        self.stream, self.decode, self.size = stream, decode, size

    def __len__(self) -> int:
        return self.size  # every item: litdata's own len() is this rank's shard under DDP

    def __getitem__(self, index: int) -> dict:
        if index == PADDING:
            return {}
        item = self.stream[index]
        try:
            return self.decode(item)
        except OSError as err:
            return {"path": item["path"], "error": str(err)}


class StreamingDataModule(ColorizationDataModule):
    """The train / val / test splits of a prepared dataset at ``input_dir`` (a folder, ``s3://``, ``gs://``).

    ``cache_dir`` / ``max_cache_size``: where and how much of a remote dataset litdata keeps locally.
    """

    def __init__(self, input_dir: str, cache_dir: str | None = None, max_cache_size: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if input_dir is None:
            raise ConfigError("data=streaming needs data.input_dir=DIR (written by python -m colorgan.prepare)")
        self.input_dir = str(input_dir) if "://" in str(input_dir) else str(Path(input_dir).expanduser().absolute())
        self.source = self.input_dir
        self.cache_dir, self.max_cache_size = cache_dir, max_cache_size
        self.meta: dict | None = None

    def list_files(self) -> Split:
        self.meta = read_json(join(self.input_dir, META_NAME), "its description")
        if self.meta.get("version") != FORMAT_VERSION:
            raise ConfigError(f"{self.input_dir}: prepared with another format version ({self.meta.get('version')})")
        record = read_json(join(self.input_dir, SPLIT_NAME), "its split")
        self.root = Path(self.meta["root"])  # where the photos were: split.json's paths are relative to it
        parts = [FileTable.from_relpaths(self.root, record[s]) for s in SPLITS]  # checked when prepared
        return Split(*parts, rule={**record["rule"], "prepared": self.input_dir})

    def split_meta(self) -> dict:
        """As ``data=folder`` records it; the fingerprints were taken from the photos when prepared."""
        self.setup()
        keys = {k: torch.tensor(self.meta[k], dtype=torch.int64) for k in ("train_keys", "val_keys")}
        counts = {s: len(self.split.files(s)) for s in SPLITS}
        return {"rule": self.split.rule, "root": self.meta["root"], "counts": counts, **keys}

    def eval_files(self, split: str = "test") -> list[Path]:
        raise ConfigError(
            "evaluate and compare read the photos themselves: use data=folder data.root=<the photos> "
            f"data.split_file={join(self.input_dir, SPLIT_NAME)} (the prepared dataset's split)"
        )

    def train_dataloader(self) -> litdata.StreamingDataLoader | list:
        if len(self.split.files("train")) == 0:
            return []  # Lightning: no batches for this split
        geometry = self.geometry  # as data=folder
        decode = DecodeItem(geometry.train_transform(), self.limits["max_pixels"])
        dataset = litdata.StreamingDataset(
            join(self.input_dir, "train"), shuffle=True, seed=self.shuffle_seed, drop_last=True, transform=decode,
            cache_dir=self.cache_dir, max_cache_size=self.max_cache_size,
        )  # fmt: skip
        return litdata.StreamingDataLoader(
            dataset, batch_size=self.batch_size, num_workers=self.num_workers, pin_memory=self.pin_memory,
            drop_last=len(dataset) >= self.batch_size, persistent_workers=self.num_workers > 0,
        )  # fmt: skip

    def _eval_stream(self, split: str) -> DataLoader | list:
        if len(self.split.files(split)) == 0:
            return []
        stream = litdata.StreamingDataset(
            join(self.input_dir, split), cache_dir=self.cache_dir, max_cache_size=self.max_cache_size
        )
        decode = DecodeItem(self.geometry.eval_transform(), self.limits["max_pixels"])
        items = PreparedItems(stream, decode, len(self.split.files(split)))
        return self._loader(items, ResumableSampler(len(items), shuffle=False, even=False), train=False)

    def val_dataloader(self) -> DataLoader | list:
        return self._eval_stream("val")

    def test_dataloader(self) -> DataLoader | list:
        return self._eval_stream("test")

    def state_dict(self) -> dict:
        return {}  # the position is the stream loader's own state, which Lightning saves with the fit loop
