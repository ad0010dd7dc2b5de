"""Files on disk -> normalized (L, ab) batches on the device: colorgan's path vs the classic one."""

from __future__ import annotations

import argparse
import math
import tempfile
import time

import numpy as np
import skimage.color
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from colorgan.benchmarks.timing import images_per_second
from colorgan.color import AB_SCALE, L_SCALE, rgb_to_L_ab
from colorgan.data import FolderDataModule
from colorgan.data.split import Split


class ClassicLabDataset(Dataset):
    """The per-image path of the classic colorization repos (pix2pix's colorization dataset): full
    decode, resize the whole photo to 286/256 of the size, random crop, flip, skimage rgb2lab."""

    def __init__(self, files: list, size: int):
        self.files = files
        load_size = round(size * 286 / 256)
        self.crop = v2.Compose([v2.Resize(load_size, antialias=True), v2.RandomCrop(size), v2.RandomHorizontalFlip()])

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        img = self.crop(Image.open(self.files[i]).convert("RGB"))
        lab = skimage.color.rgb2lab(np.asarray(img)).astype(np.float32)
        lab = torch.from_numpy(lab).permute(2, 0, 1)
        return lab[:1] / L_SCALE - 1.0, lab[1:] / AB_SCALE


def measure(loader: DataLoader, to_device, batches: int) -> float:
    """Images/s of ``loader`` feeding ``to_device``. Its workers start here and are shut down before
    returning, so two paths measured one after the other never compete for the CPU."""
    live = [iter(loader)]  # the only reference: releasing it stops the workers

    def step() -> int:
        L, _ = to_device(next(live[0]))
        return L.shape[0]

    try:
        return images_per_second(step, batches)
    finally:
        live.clear()


def streaming_loader(dm: FolderDataModule, args: argparse.Namespace, folder: str) -> DataLoader:
    """The same files, repeated as the folder path repeats them, prepared in ``folder`` and streamed
    by ``data=streaming``'s loader (litdata; original bytes, so the same draft-mode decode)."""
    from colorgan.data.streaming import StreamingDataModule  # the streaming extra, only for --source streaming
    from colorgan.data.streaming.prepare import prepare_dataset

    dm.split = Split(dm.train_files.select(np.tile(np.arange(len(dm.train_files)), dm.repeat)), [], [], dm.split.rule)
    prepare_dataset(dm, folder, num_workers=max(1, args.workers))
    streamed = StreamingDataModule(input_dir=folder, image_size=args.size, batch_size=args.batch,
                                   num_workers=args.workers, shuffle_seed=0)  # fmt: skip
    streamed.setup()
    return streamed.train_dataloader()


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict[str, float], dict]:
    index_cache = None if args.index_cache == "none" else args.index_cache
    dm = FolderDataModule(root=args.images, val_fraction=0.0, test_fraction=0.0, image_size=args.size,
                          batch_size=args.batch, num_workers=args.workers, index_cache=index_cache)  # fmt: skip
    start = time.perf_counter()
    dm.setup()
    setup_s = time.perf_counter() - start
    files = len(dm.train_files)
    needed = (args.batches + 2) * args.batch
    dm.repeat = math.ceil(needed / len(dm.train_files))
    train = dm.train_dataloader()  # training's dataset, transform and collate; one pass, so not persistent
    ours = DataLoader(train.dataset, batch_size=args.batch, shuffle=True, num_workers=args.workers, drop_last=True)
    classic_set = ClassicLabDataset(list(dm.train_files) * dm.repeat, args.size)
    classic = DataLoader(classic_set, batch_size=args.batch, shuffle=True, num_workers=args.workers, drop_last=True)

    def to_lab(b: dict):
        return rgb_to_L_ab(b["rgb"].to(device, non_blocking=True))

    rows = {}
    with tempfile.TemporaryDirectory(prefix="colorgan-stream-") as folder:
        if args.source == "streaming":
            rows["colorgan streaming (litdata chunks, same decode)"] = measure(
                streaming_loader(dm, args, folder), to_lab, args.batches
            )
        rows["colorgan folder (draft decode, uint8, batched Lab on device)"] = measure(ours, to_lab, args.batches)
    rows["classic (pix2pix: full decode, resize, crop, skimage rgb2lab)"] = measure(
        classic, lambda b: (b[0].to(device), b[1].to(device)), args.batches
    )
    extra = {"workers": args.workers, "files": files, "device_used": str(device), "source": args.source,
             "index_cache": args.index_cache, "folder_setup_s": round(setup_s, 2)}  # fmt: skip
    return rows, extra
