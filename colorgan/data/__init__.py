"""Data: image files -> batches of RGB uint8; Lab conversion happens later, batched, on the device."""

from colorgan.data.datamodule import ColorizationDataModule
from colorgan.data.folder import FolderDataModule, SampleDataModule
from colorgan.data.imagenet import ImageNetDataModule

__all__ = ["ColorizationDataModule", "FolderDataModule", "ImageNetDataModule", "SampleDataModule"]
