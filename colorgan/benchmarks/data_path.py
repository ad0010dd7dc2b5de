"""Files on disk -> normalized (L, ab) batches on the device: colorgan's path vs the classic one."""

from __future__ import annotations

import argparse
import math

import numpy as np
import skimage.color
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from colorgan.color import AB_SCALE, L_SCALE, rgb_to_L_ab
from colorgan.data import FolderDataModule


class ClassicLabDataset(Dataset):
    """The per-image path of the classic colorization repos: full decode, crop, skimage rgb2lab."""

    def __init__(self, files: list, size: int, min_scale: float):
        self.files = files
        self.crop = v2.Compose(
            [v2.RandomResizedCrop(size, scale=(min_scale, 1.0), antialias=True), v2.RandomHorizontalFlip()]
        )

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        img = self.crop(Image.open(self.files[i]).convert("RGB"))
        lab = skimage.color.rgb2lab(np.asarray(img)).astype(np.float32)
        lab = torch.from_numpy(lab).permute(2, 0, 1)
        return lab[:1] / L_SCALE - 1.0, lab[1:] / AB_SCALE


def _steps(loader: DataLoader, to_device) -> callable:
    batches = iter(loader)

    def step() -> int:
        L, _ = to_device(next(batches))
        return L.shape[0]

    return step


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict[str, float], dict]:
    from colorgan.benchmark import images_per_second

    dm = FolderDataModule(root=args.images, val_fraction=0.0, image_size=args.size, batch_size=args.batch,
                          num_workers=args.workers)  # fmt: skip
    dm.setup()
    needed = (args.batches + 2) * args.batch
    dm.repeat = math.ceil(needed / len(dm.train_files))
    ours = _steps(dm.train_dataloader(), lambda b: rgb_to_L_ab(b["rgb"].to(device, non_blocking=True)))
    classic_set = ClassicLabDataset(dm.train_files * dm.repeat, args.size, dm.min_scale)
    classic_loader = DataLoader(classic_set, batch_size=args.batch, shuffle=True, num_workers=args.workers)
    classic = _steps(classic_loader, lambda b: (b[0].to(device), b[1].to(device)))
    rows = {
        "colorgan (draft decode, uint8, batched Lab on device)": images_per_second(ours, args.batches),
        "classic (full decode, per-image skimage rgb2lab)": images_per_second(classic, args.batches),
    }
    return rows, {"workers": args.workers, "files": len(dm.train_files), "device_used": str(device)}
