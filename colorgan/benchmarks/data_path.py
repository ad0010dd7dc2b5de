"""Files on disk -> normalized (L, ab) batches on the device: colorgan's path vs the classic one, and each
path's stages per image (one core) beside their floors, so the table says which stage holds the path back."""

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

from colorgan.benchmarks.stages import Stage, best_seconds, copy_bytes_per_s, print_stages, stage_record
from colorgan.benchmarks.timing import images_per_second
from colorgan.color import AB_SCALE, L_SCALE, rgb_to_L_ab
from colorgan.data import FolderDataModule
from colorgan.data.images import DRAFT_FORMATS, open_image
from colorgan.data.split import Split

STAGE_FILES = 64  # the stage table times this many of the files (all of a small folder)
CPU_SHARE = "colorgan folder, the CPU's share with a GPU (Lab left to it)"


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


def per_image(fn, items: list, repeats: int = 2) -> float:
    """Seconds per item of ``fn`` over ``items`` (the fastest of ``repeats`` passes, after one)."""
    return best_seconds(lambda: [fn(x) for x in items], repeats) / len(items)


def _pillow_decode(path, decoded_size: tuple[int, int]) -> None:
    """Pillow's decode alone, at the scale colorgan's read decoded ``path`` at: the floor of the decode stage."""
    img = Image.open(path)
    scale = max(img.size) / max(decoded_size)  # 1, 2, 4 or 8 (EXIF orientation may swap the sides)
    if img.format in DRAFT_FORMATS and scale >= 2:
        img.draft("RGB", (math.ceil(img.size[0] / scale), math.ceil(img.size[1] / scale)))
    img.load()


def stage_table(dataset, files: list, size: int, batch: int, device: torch.device) -> list[Stage]:
    """colorgan's stages and the classic path's, per image on one core (the loader runs them in its workers).
    colorgan's read is timed as training's transform does it, in its two halves (``decode``, ``finish``), with
    the same seeded crops in every pass."""
    bandwidth = copy_bytes_per_s(device)
    read = dataset.transform

    def decode(f) -> tuple:
        return read.decode(open_image(f), f)

    def decode_all() -> list[tuple]:
        torch.manual_seed(0)  # the same crops, so the same scales, in every pass
        return [decode(f) for f in files]

    decoded = decode_all()
    sizes = [img.size for img, _ in decoded]
    rgb = torch.stack([read.finish(*d) for d in decoded[:batch]]).to(device)
    classic = ClassicLabDataset(files, size)
    full = [Image.open(f).convert("RGB") for f in files[:4]]
    crops = [np.asarray(classic.crop(img)) for img in full]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one core, as every row here (on a CPU the conversion spreads over torch's threads)
    try:
        lab_s = best_seconds(lambda: rgb_to_L_ab(rgb), 3) / len(rgb)
    finally:
        torch.set_num_threads(threads)
    return [
        Stage("decode (at the scale its crop needs)", best_seconds(decode_all, 2) / len(files),
              per_image(lambda k: _pillow_decode(files[k], sizes[k]), range(len(files))),
              "Pillow's decode at that scale"),
        Stage("crop, resize, flip, to tensor", per_image(lambda d: read.finish(*d), decoded)),
        Stage("Lab on the device (batched)", lab_s, size * size * 15 / bandwidth, "read 3 B + write 12 B per pixel"),
        Stage("classic: full decode", per_image(lambda f: Image.open(f).convert("RGB"), files, 1)),
        Stage("classic: resize, crop, flip", per_image(classic.crop, full, 1)),
        Stage("classic: skimage rgb2lab", per_image(skimage.color.rgb2lab, crops)),
    ]  # fmt: skip


def loader_bound(stages: list[Stage], workers: int) -> tuple[float, float, float]:
    """Images/s the stages allow with ``workers`` processes each on a core (the Lab conversion beside them):
    ``(colorgan, classic, the ratio if everything but colorgan's decode were free)``."""
    cores = max(1, workers)
    classic_s = sum(s.seconds for s in stages[3:])
    return cores / sum(s.seconds for s in stages[:3]), cores / classic_s, classic_s / stages[0].seconds


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
        label = "colorgan folder (decode at the crop's scale, uint8, batched Lab on device)"
        rows[label] = measure(ours, to_lab, args.batches)
        if device.type == "cpu":  # on a GPU machine the batch's Lab runs on the GPU: the CPU does only this
            rows[CPU_SHARE] = measure(ours, lambda b: (b["rgb"], None), args.batches)
    rows["classic (pix2pix: full decode, resize, crop, skimage rgb2lab)"] = measure(
        classic, lambda b: (b[0].to(device), b[1].to(device)), args.batches
    )
    stages = stage_table(train.dataset, list(dm.train_files)[:STAGE_FILES], args.size, args.batch, device)
    bound, classic_bound, decode_bound = loader_bound(stages, args.workers)
    print_stages("per image, one core (the loader spreads decode and transform over its workers)", stages)
    print(f"what the stages allow with {args.workers} workers: colorgan {bound:.1f} img/s, classic "
          f"{classic_bound:.1f} img/s ({bound / classic_bound:.2f}x; measured below); with every stage but the "
          f"decode free: {decode_bound:.2f}x")  # fmt: skip
    extra = {"workers": args.workers, "files": files, "device_used": str(device), "source": args.source,
             "index_cache": args.index_cache, "folder_setup_s": round(setup_s, 2), "stages": stage_record(stages),
             "stage_bound_images_per_s": round(bound, 1), "stage_bound_ratio": round(bound / classic_bound, 2),
             "decode_bound_ratio": round(decode_bound, 2),
             "cpu_share_with_gpu_images_per_s": rows.get(CPU_SHARE)}  # fmt: skip
    return rows, extra
