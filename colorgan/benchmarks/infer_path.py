"""The colorize path on large photos: time and peak memory, and a full-resolution net pass to compare."""

from __future__ import annotations

import argparse
import resource

import numpy as np
import skimage.data
import torch
from PIL import Image

from colorgan.benchmarks.models import benchmark_model
from colorgan.benchmarks.timing import images_per_second
from colorgan.inference import colorize_image, lightness

FULL_RES_LIMIT = 4_000_000  # the naive baseline runs the net at full size: only on photos it can take


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict[str, float], dict]:
    model = benchmark_model(args.model, args.size).to(device).eval()
    model.meta["working_size"] = args.size
    w, h = (int(v) for v in args.photo_size.lower().split("x"))
    photo = Image.fromarray(skimage.data.astronaut()).resize((w, h), Image.BICUBIC)
    rows = {"colorgan colorize (net at working size, full-res L)": images_per_second(
        lambda: colorize_image(model, photo).size and 1, args.batch, warmup=1)}  # fmt: skip
    if w * h <= FULL_RES_LIMIT:
        L = lightness(torch.from_numpy(np.array(photo)).permute(2, 0, 1)[None])

        @torch.no_grad()
        def full_res() -> int:
            model.to_rgb(L, model(L.to(device)).float().cpu())
            return 1

        rows["naive: the net at full resolution"] = images_per_second(full_res, args.batch, warmup=1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return rows, {"model": args.model, "photo": f"{w}x{h}", "peak_rss_mb": round(peak_mb)}
