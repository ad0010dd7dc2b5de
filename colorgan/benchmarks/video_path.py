"""Colorizing a film: frames per second through the whole path (decode, net, filter, encode, sound copied)
with each temporal mode, against the frames alone through ``colorize_frames`` (no video I/O, no filter)."""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import skimage.data
import torch

from colorgan.benchmarks.models import benchmark_model
from colorgan.benchmarks.timing import images_per_second
from colorgan.inference import colorize_frames
from colorgan.training.checkpoint import load_colorizer
from colorgan.video.pipeline import colorize_film
from colorgan.video.reader import VideoReader
from colorgan.video.synthetic import write_test_film


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict[str, float], dict]:
    if args.ckpt:
        model = load_colorizer(args.ckpt, device)
    else:
        model = benchmark_model(args.model, args.size).to(device).eval()
        model.meta["working_size"] = args.size
    w, h = (int(v) for v in args.film_size.lower().split("x"))
    rows = {}
    with tempfile.TemporaryDirectory(prefix="colorgan-bench-video-") as tmp:
        photos = (skimage.data.astronaut(), skimage.data.coffee())
        film = write_test_film(Path(tmp) / "film.mp4", photos, (w, h), args.seconds, audio="aac",
                               options={"preset": "ultrafast"})  # fmt: skip
        with VideoReader(film.path) as reader:
            frames = torch.from_numpy(next(reader.batches(args.batch)).rgb).permute(0, 3, 1, 2).to(device)
        colorize_frames(model, frames)  # warm-up: allocations, the gamut table
        for mode in ("flow", "none"):
            start = time.perf_counter()
            colorize_film(model, film.path, Path(tmp) / f"{mode}.mp4", mode, args.batch, progress=False)
            seconds = time.perf_counter() - start
            rows[f"colorize film, --temporal {mode} (decode, net, encode)"] = film.frames / seconds
        rows["baseline: colorize_frames on decoded frames"] = images_per_second(
            lambda: colorize_frames(model, frames).shape[0], max(1, film.frames // args.batch), warmup=1
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    extra = {"film": f"{w}x{h}", "frames": film.frames, "working_size": int(model.meta["working_size"])}
    return rows, {**extra, "model": model.meta["name"], "peak_rss_mb": round(peak_mb), "unit": "frames/s"}
