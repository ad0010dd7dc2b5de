"""Data: image files -> batches of RGB uint8; Lab conversion happens later, batched, on the device.

The datamodules (Lightning) are imported when first named, so that reading an image
(``colorgan.data.images``, as colorize does) does not import Lightning.
"""

import importlib

_DATAMODULES = {
    "ColorizationDataModule": "colorgan.data.datamodule",
    "FolderDataModule": "colorgan.data.folder",
    "ImageNetDataModule": "colorgan.data.imagenet",
    "SampleDataModule": "colorgan.data.folder",
}
__all__ = sorted(_DATAMODULES)


def __getattr__(name: str):
    if name in _DATAMODULES:
        return getattr(importlib.import_module(_DATAMODULES[name]), name)
    raise AttributeError(f"module 'colorgan.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_DATAMODULES})
