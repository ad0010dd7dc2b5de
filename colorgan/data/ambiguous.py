"""data=ambiguous: generated scenes whose object colours cannot be known from lightness, by construction.

Each image is a textured background whose colour its texture fixes (learnable by any colorizer) with one to
three flat objects on it. Each object class has two hues of the same L* and chroma, opposite in CIE LCh
(their mean is gray), one drawn at random per object: no colorizer can know from L which one. A model that
averages predicts the desaturated mean; one that commits predicts one of the hues. The per-pixel object
map travels in every batch (``regions``), so evaluation measures both (``colorgan.evaluation.ambiguous``).

Items are made on the fly from (data seed, split, index): no files, any size, the same images on every
machine, and train, val and test never share an item.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, default_collate

from colorgan.color.lab import lab_to_linear, linear_to_srgb
from colorgan.data.datamodule import ColorizationDataModule
from colorgan.data.sampler import PADDING, ResumableSampler

SPLIT_STREAMS = {"train": 0, "val": 1, "test": 2}  # each split draws from its own random stream


@dataclass(frozen=True)
class Background:
    """A texture and the one colour that goes with it: L* spans ``L``, hue and chroma are fixed."""

    texture: str
    hue: float  # CIE LCh hue angle, degrees
    chroma: float
    L: tuple[float, float]


@dataclass(frozen=True)
class ObjectClass:
    """A flat shape at lightness ``L``, painted in one of ``hues`` (same L* and chroma: ambiguous)."""

    shape: str
    L: float
    chroma: float
    hues: tuple[float, ...]


# Every colour below is inside sRGB at every L* it is drawn with (tests/test_ambiguous.py checks it): the
# truth is exactly the colour named, never a clipped one. Cyan-blue (hue 210) limits the disks' chroma: sRGB
# holds at most chroma 33 there at L* 58. The objects' L* lies 14 or more from every background's, so their
# outlines show in L alone.
BACKGROUNDS = (
    Background("stripes", hue=90.0, chroma=25.0, L=(80.0, 92.0)),  # yellow
    Background("checks", hue=150.0, chroma=25.0, L=(80.0, 92.0)),  # green
    Background("blobs", hue=270.0, chroma=25.0, L=(28.0, 44.0)),  # blue
)
OBJECT_CLASSES = (
    ObjectClass("disk", L=58.0, chroma=28.0, hues=(30.0, 210.0)),  # red-orange or cyan-blue
    ObjectClass("square", L=66.0, chroma=45.0, hues=(120.0, 300.0)),  # green or purple
)
BACKGROUND = 0  # the value of ``regions`` on background pixels; object class i (from 0) is i + 1


def ab_of(chroma: float, hue: float) -> tuple[float, float]:
    """CIE a*, b* of a chroma and a hue angle in degrees."""
    return chroma * math.cos(math.radians(hue)), chroma * math.sin(math.radians(hue))


def _texture(name: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """A texture in [0, 1] of shape (size, size); its scale follows the image size."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) * (64.0 / size)  # in units of a 64 px image
    if name == "stripes":  # near-horizontal sine stripes
        angle, period = rng.uniform(-0.3, 0.3), rng.uniform(5.0, 10.0)
        phase = 2 * math.pi * ((y * math.cos(angle) + x * math.sin(angle)) / period) + rng.uniform(0, 2 * math.pi)
        return 0.5 + 0.5 * np.sin(phase)
    if name == "checks":  # a checkerboard
        cell = rng.uniform(4.0, 8.0)
        shift = rng.uniform(0, cell, size=2)
        return (((x + shift[0]) // cell + (y + shift[1]) // cell) % 2).astype(np.float32)
    if name == "blobs":  # smooth noise: a coarse random grid, upsampled
        coarse = torch.from_numpy(rng.uniform(0, 1, size=(1, 1, 6, 6)).astype(np.float32))
        smooth = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)[0, 0].numpy()
        return (smooth - smooth.min()) / max(float(smooth.max() - smooth.min()), 1e-6)
    raise ValueError(f"unknown texture {name!r}")


def _shape(name: str, cy: float, cx: float, r: float, size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    if name == "disk":
        return (y - cy) ** 2 + (x - cx) ** 2 <= r * r
    if name == "square":
        return (np.abs(y - cy) <= 0.85 * r) & (np.abs(x - cx) <= 0.85 * r)
    raise ValueError(f"unknown shape {name!r}")


def render(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """One scene: Lab ``(3, size, size)`` float32 and ``regions`` ``(size, size)`` uint8 (0: background,
    i + 1: an object of ``OBJECT_CLASSES[i]``; a later object covers an earlier one)."""
    bg = BACKGROUNDS[rng.integers(len(BACKGROUNDS))]
    L = bg.L[0] + (bg.L[1] - bg.L[0]) * _texture(bg.texture, rng, size)
    a, b = (np.full((size, size), v, np.float32) for v in ab_of(bg.chroma, bg.hue))
    regions = np.zeros((size, size), np.uint8)
    for _ in range(rng.integers(1, 4)):  # one to three objects
        k = int(rng.integers(len(OBJECT_CLASSES)))
        cls = OBJECT_CLASSES[k]
        r = rng.uniform(0.12, 0.2) * size
        cy, cx = rng.uniform(r, size - r, size=2)
        inside = _shape(cls.shape, cy, cx, r, size)
        hue = cls.hues[rng.integers(len(cls.hues))]  # the ambiguity: a fair draw among the class's hues
        L[inside] = cls.L
        a[inside], b[inside] = ab_of(cls.chroma, hue)
        regions[inside] = k + 1
    return np.stack([L, a, b]).astype(np.float32), regions


class AmbiguousDataset(Dataset):
    """``size`` scenes of one split: ``{"rgb": uint8 (3, S, S), "regions": uint8 (S, S), "path": str}``."""

    def __init__(self, split: str, size: int, image_size: int = 64, seed: int = 0):
        if split not in SPLIT_STREAMS:
            raise ValueError(f"split must be one of {', '.join(SPLIT_STREAMS)}; got {split!r}")
        self.split, self.size, self.image_size, self.seed = split, size, image_size, seed

    def __len__(self) -> int:
        return self.size

    @property
    def files(self) -> list[str]:
        """The item names (``ambiguous/test/000012``), where a dataset of image files lists its files."""
        return [f"ambiguous/{self.split}/{i:06d}" for i in range(self.size)]

    def __getitem__(self, index: int) -> dict:
        if index == PADDING:  # an evaluation sampler evening out the DDP ranks' shares: no item
            return {}
        if not 0 <= index < self.size:
            raise IndexError(f"scene {index} of a {self.split} split of {self.size}")
        rng = np.random.default_rng([self.seed, SPLIT_STREAMS[self.split], index])
        lab, regions = render(rng, self.image_size)
        # in gamut by construction: the plain formulas are exact (lab_to_rgb's gamut mapping would change nothing)
        rgb = linear_to_srgb(lab_to_linear(*torch.from_numpy(lab)[None].split([1, 2], dim=1)))[0].clamp(0, 1)
        return {
            "rgb": (rgb * 255.0 + 0.5).to(torch.uint8),
            "regions": torch.from_numpy(regions),
            "path": f"ambiguous/{self.split}/{index:06d}",  # its name: split and index
        }


def collate_scenes(items: list[dict]) -> dict:
    """A batch of the items that are not padding; ``rgb`` has B = 0 when none is left."""
    kept = [item for item in items if item]
    if not kept:
        return {"rgb": torch.empty(0, 3, 0, 0, dtype=torch.uint8), "regions": torch.empty(0, 0, 0), "path": []}
    return default_collate(kept)


class AmbiguousDataModule(ColorizationDataModule):
    """Train, val and test splits of generated scenes (``*_size`` each), the same for a given ``scene_seed``
    (not the training seed: every run sees the same scenes)."""

    source = "data=ambiguous"

    def __init__(
        self,
        image_size: int = 64,
        train_size: int = 2048,
        val_size: int = 64,
        test_size: int = 256,
        scene_seed: int = 0,
        **kwargs,
    ):
        super().__init__(image_size=image_size, **kwargs)  # batch_size, num_workers, pin_memory, shuffle_seed...
        self.sizes = {"train": train_size, "val": val_size, "test": test_size}
        self.scene_seed = scene_seed

    def setup(self, stage: str | None = None) -> None:
        """Nothing to list or check: every item is made when it is read."""

    def item_names(self, split: str) -> list[str]:
        if split == "all":
            return [name for s in SPLIT_STREAMS for name in self.item_names(s)]
        return AmbiguousDataset(split, self.sizes[split]).files

    @property
    def train_files(self) -> list:
        return []  # nothing on disk: zhang16 counts its ab prior from prior_batches()

    @property
    def val_files(self) -> list[str]:
        return self.item_names("val")

    @property
    def rule(self) -> dict:
        sizes = {f"{s}_size": n for s, n in self.sizes.items()}
        return {
            "kind": "generated",
            "data": "ambiguous",
            "scene_seed": self.scene_seed,
            "size": self.image_size,
        } | sizes

    def split_record(self) -> dict:
        """What ``RUN/split.json`` holds: every item's name per split, and the rule that makes them."""
        return {**{s: self.item_names(s) for s in SPLIT_STREAMS}, "rule": self.rule}

    def split_meta(self) -> dict:
        return {"rule": self.rule, "root": None, "counts": dict(self.sizes)}

    def loader(self, split: str) -> DataLoader:
        """The scenes of ``split`` in order, every one once (evaluation; DDP ranks share them)."""
        dataset = AmbiguousDataset(split, self.sizes[split], self.image_size, self.scene_seed)
        sampler = ResumableSampler(len(dataset), shuffle=False, even=False)
        return self._scenes_loader(dataset, sampler, train=False)

    def _scenes_loader(self, dataset: AmbiguousDataset, sampler: ResumableSampler, train: bool) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=collate_scenes,
            drop_last=train,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        dataset = AmbiguousDataset("train", self.sizes["train"], self.image_size, self.scene_seed)
        return self._scenes_loader(dataset, self.train_sampler(len(dataset)), train=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader("val")

    def test_dataloader(self) -> DataLoader:
        return self.loader("test")

    def prior_batches(self, items: int = 512) -> Iterator[Tensor]:
        """RGB uint8 batches of the first ``items`` training scenes: what zhang16 counts its ab prior from."""
        dataset = AmbiguousDataset("train", min(items, self.sizes["train"]), self.image_size, self.scene_seed)
        for batch in DataLoader(dataset, batch_size=64, collate_fn=collate_scenes):
            yield batch["rgb"]
