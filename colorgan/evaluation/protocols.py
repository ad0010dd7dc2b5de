"""The fixed ImageNet subsets that colorization papers report on: which images, how resized, what is recorded.

``python -m colorgan.evaluate ... data=imagenet data.root=/path/ILSVRC2012 protocol=ctest10k`` scores exactly
the protocol's images (``conf/protocol/*.yaml``), preprocessed its way, whatever ``split`` and
``data.image_size`` say. A listed image missing from the user's ImageNet stops the run, naming it: a
number on part of a protocol's images is not that protocol's number (``protocol_allow_missing=true``
scores the rest, and metrics.json says how many were missing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import hydra
from omegaconf import DictConfig
from PIL import Image
from torch.utils.data import DataLoader
from torchvision.transforms import v2

from colorgan.data.ambiguous import SPLIT_STREAMS, AmbiguousDataModule
from colorgan.data.imagenet import val_files, val_folder
from colorgan.errors import ConfigError
from colorgan.evaluation.heldout import check_heldout
from colorgan.evaluation.scored import choose_split, scoring_geometry
from colorgan.evaluation.scoring import eval_loader

log = logging.getLogger(__name__)
LISTS = Path(__file__).parent / "protocol_lists"  # the image lists, with their source and licence


def center_square(img: Image.Image) -> Image.Image:
    """The largest centred square of ``img``."""
    w, h = img.size
    s = min(w, h)
    return img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))


class Protocol:
    """A named set of ILSVRC2012 validation images: ``list_file`` (in protocol_lists/), or the images
    numbered ``first`` to ``last``; each resized to ``size`` x ``size`` (``crop``: its centre square first).
    ``exclude_grayscale``: whether its publications left out the validation set's photos without colour
    (on those the gray baseline is perfect); evaluate's ``protocol_exclude_grayscale`` overrides it."""

    def __init__(
        self,
        name: str,
        list_file: str | None = None,
        first: int | None = None,
        last: int | None = None,
        size: int = 256,
        crop: bool = False,
        source: str = "",
        exclude_grayscale: bool = False,
    ):
        if (list_file is None) == (first is None or last is None):
            raise ValueError(f"protocol {name}: give either list_file or first and last")
        self.name, self.list_file, self.first, self.last = name, list_file, first, last
        self.size, self.crop, self.source = size, crop, source
        self.exclude_grayscale = exclude_grayscale

    def file_names(self) -> list[str]:
        if self.list_file is None:
            return [f"ILSVRC2012_val_{i:08d}.JPEG" for i in range(self.first, self.last + 1)]
        return (LISTS / self.list_file).read_text().split()

    @property
    def preprocessing(self) -> str:
        resize = f"resized to {self.size}x{self.size}"
        return f"centre square crop, {resize}" if self.crop else f"{resize} (aspect not kept, no crop)"

    def transform(self) -> Callable[[Image.Image], object]:
        steps = [v2.Lambda(center_square)] if self.crop else []
        return v2.Compose([*steps, v2.Resize((self.size, self.size), antialias=True), v2.PILToTensor()])

    def images(self, root: str | Path, allow_missing: bool = False) -> tuple[list[Path], dict]:
        """The protocol's files below ``root`` (its ``val/``), in list order, and the counts to record."""
        names, present = self.file_names(), val_files(root)
        missing = [n for n in names if n not in present]
        if missing and not allow_missing:
            raise FileNotFoundError(
                f"protocol {self.name}: {len(missing)} of its {len(names)} images are not in {val_folder(root)}, "
                f"the first: {missing[0]}. A score on part of a protocol's images is not its score; "
                "protocol_allow_missing=true scores the others and records how many were missing"
            )
        if missing:
            log.warning(
                "protocol %s: %d of %d images missing, e.g. %s", self.name, len(missing), len(names), missing[0]
            )
        counts = {"listed": len(names), "scored": len(names) - len(missing), "missing": len(missing)}
        return [present[n] for n in names if n in present], counts


def images_to_score(cfg: DictConfig, metas: dict[str, dict]) -> tuple[list[Path], Callable, dict, bool]:
    """The files evaluate/compare score, their transform, what metrics.json records about them, and whether
    grayscale photos are left out: ``cfg.protocol``'s images its way, or ``cfg.split`` of ``cfg.data``
    (``colorgan.evaluation.scored``). Photos a checkpoint trained on are refused either way."""
    if cfg.get("protocol") is None:
        data_cfg, files, chosen = choose_split(cfg, metas)
        cfg.data = data_cfg
        transform, shape = scoring_geometry(cfg, metas)
        record = check_heldout(files, chosen.pop("split"), metas, cfg.allow_trained_images)
        warnings = shape.pop("warnings")
        record.update(chosen, **shape)
        record["warnings"] += warnings
        return files, transform, record, False
    protocol: Protocol = hydra.utils.instantiate(cfg.protocol)
    if cfg.data.get("root") is None:
        raise ConfigError(f"protocol={protocol.name} needs ImageNet: data=imagenet data.root=/path/ILSVRC2012")
    files, counts = protocol.images(cfg.data.root, cfg.get("protocol_allow_missing", False))
    record = check_heldout(files, "test", metas, cfg.allow_trained_images)
    exclude = (
        protocol.exclude_grayscale
        if cfg.get("protocol_exclude_grayscale") is None
        else bool(cfg.protocol_exclude_grayscale)
    )
    record.update(
        split=f"protocol {protocol.name}",
        protocol=protocol.name,
        protocol_images=counts,
        protocol_preprocessing=protocol.preprocessing,
        protocol_source=protocol.source,
        protocol_exclude_grayscale=exclude,
        image_size=protocol.size,
        geometry={"kind": "crop" if protocol.crop else "squash", "size": protocol.size,
                  "source": f"protocol {protocol.name}", "preprocessing": protocol.preprocessing},
    )  # fmt: skip
    return files, protocol.transform(), record, exclude


def scoring_loader(cfg: DictConfig, metas: dict[str, dict]) -> tuple[DataLoader, dict, bool]:
    """The batches evaluate/compare score, what metrics.json records about them and whether grayscale truths
    are left out: generated scenes (data=ambiguous: made from the data seed, never a trained-on item), or the
    files ``images_to_score`` picks."""
    if cfg.get("protocol") is None and issubclass(hydra.utils.get_class(cfg.data._target_), AmbiguousDataModule):
        split = cfg.get("split") or "auto"
        split = "test" if split == "auto" else split  # generated scenes: the test stream is never trained on
        if split not in SPLIT_STREAMS:
            raise ConfigError(f"data=ambiguous scores one of {', '.join(SPLIT_STREAMS)}; got split={split}")
        data: AmbiguousDataModule = hydra.utils.instantiate(cfg.data)
        warnings = [] if split == "test" else [f"split={split}: not the held-out test split"]
        return data.loader(split), {"split": split, "data_rule": data.rule, "warnings": warnings}, False
    files, transform, provenance, exclude_grayscale = images_to_score(cfg, metas)
    return eval_loader(cfg, files, transform), provenance, exclude_grayscale
