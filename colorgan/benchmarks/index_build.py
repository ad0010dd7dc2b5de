"""The dataset index, as a first and a second training run on the same folder build it: cold (every
file decoded and checked) and warm (the cache read, the folder listed, nothing re-checked)."""

from __future__ import annotations

import argparse
import tempfile

import torch

from colorgan.data import FolderDataModule


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict[str, float], dict]:
    with tempfile.TemporaryDirectory(prefix="colorgan-index-") as cache:  # cold: a cache of its own

        def index():
            data = FolderDataModule(root=args.images, index_cache=cache, num_workers=args.workers)
            return data.indexed(data.root)

        cold, warm = index(), index()
    n = len(cold.files)
    rows = {
        "warm: cached verdicts, folder listed (files/s)": n / warm.seconds,
        "cold: every file checked (files/s)": n / cold.seconds,
    }
    extra = {"files": n, "workers": args.workers, "cold_s": round(cold.seconds, 2), "warm_s": round(warm.seconds, 3),
             "warm_share_of_cold": warm.seconds / cold.seconds, "rechecked_warm": warm.checked}  # fmt: skip
    print(f"\nindex of {n} files: cold {cold.seconds:.1f} s, warm {warm.seconds:.2f} s "
          f"({warm.seconds / cold.seconds:.1%} of cold), {warm.checked} files re-checked warm")  # fmt: skip
    return rows, extra
