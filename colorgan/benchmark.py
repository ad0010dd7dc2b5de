"""Throughput of colorgan's data path, training step and colorize path, against classic baselines.

    python -m colorgan.benchmark data  --images DIR --size 256 --batch 16 --workers 2 [--source streaming]
    python -m colorgan.benchmark train --model pix2pix --size 256 --batch 4 --steps 10 [--precision P]
    python -m colorgan.benchmark train --model zhang16 --size 176 --batch 8 --steps 5     # the paper's crop
        [--channels-last | --no-channels-last] [--compile]
    python -m colorgan.benchmark infer --model gan --size 256 --batch 4 --photo-size 6000x4000 [--ckpt C]
    python -m colorgan.benchmark index --images DIR --workers 2
    python -m colorgan.benchmark video --size 128 --batch 8 --film-size 1920x1080 [--ckpt C]    # frames/s

Each prints a table for people and, as its last line, one JSON object with ``images_per_s`` (and the
settings). Baselines run in the same process on the same inputs, so the ratios are what to quote.
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from colorgan.benchmarks import data_path, index_build, infer_path, train_step
from colorgan.errors import ColorganError
from colorgan.inference import resolve_device
from colorgan.training.machine import cpu_description
from colorgan.video import require_video_extra


def report(title: str, rows: dict[str, float], settings: dict) -> dict:
    """Print a table of images/s with ratios to the last row (the baseline); return the JSON record."""
    baseline = list(rows.values())[-1]
    print(f"\n{title}  ({settings})")
    print(f"{'path':<44} {'images/s':>10} {'ratio':>8}")
    for name, value in rows.items():
        print(f"{name:<44} {value:>10.2f} {value / baseline:>7.2f}x")
    first = next(iter(rows.values()))
    return {"images_per_s": first, "baseline_images_per_s": baseline, "speedup": first / baseline, **settings}


def machine() -> dict:
    """What the figures were measured on: the GPU, or the CPU model with its notable flags."""
    cpu = cpu_description()
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else cpu["cpu"]
    return {"device": device, "cpu_flags": cpu["flags"], "torch": cpu["torch"], "threads": cpu["threads"]}


def video_path_run(args: argparse.Namespace, device: torch.device) -> tuple[dict[str, float], dict]:
    """``benchmark video``, which needs the video extra (PyAV, OpenCV)."""
    require_video_extra("benchmark video")
    from colorgan.benchmarks import video_path  # imports PyAV and OpenCV

    return video_path.run(args, device)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m colorgan.benchmark", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="files on disk -> normalized (L, ab) batches on the device")
    data.add_argument("--images", required=True, help="a folder of photos (JPEGs show the draft-mode gain)")
    data.add_argument("--workers", type=int, default=2)
    data.add_argument("--batches", type=int, default=10)
    data.add_argument("--source", default="folder", choices=["folder", "streaming"],
                      help="streaming: also prepare the photos with litdata and stream them")  # fmt: skip
    data.add_argument("--index-cache", default="auto", help="data.index_cache for the folder path: auto, none, DIR")
    train = sub.add_parser("train", help="the LightningModule's training step vs a plain fp32 eager loop")
    train.add_argument("--model", default="gan", choices=["gan", "pix2pix", "mse_cnn", "fusion", "zhang16"])
    train.add_argument("--steps", type=int, default=10)
    train.add_argument("--precision", default=None, help="default: auto, as training chooses it (then every "
                       "explicit precision and layout is measured too)")  # fmt: skip
    train.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                       help="default: as trainer.precision=auto chooses it")  # fmt: skip
    train.add_argument("--compile", action="store_true", help="torch.compile the nets (compiled during warmup)")
    infer = sub.add_parser("infer", help="the colorize path, stage by stage: a large photo and a batch of 1080p frames")
    infer.add_argument("--model", default="gan", choices=["gan", "pix2pix", "mse_cnn", "fusion", "zhang16"])
    infer.add_argument("--ckpt", default=None, help="a checkpoint to time instead of a freshly built --model")
    infer.add_argument("--photo-size", default="6000x4000", help="WIDTHxHEIGHT of the synthetic JPEG photo")
    infer.add_argument("--frame-size", default="1920x1080", help="WIDTHxHEIGHT of the video frames")
    infer.add_argument("--format", default="auto", choices=["auto", "png", "jpg"], help="colorize's --format")
    infer.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    infer.add_argument("--precision", default="32", choices=["32", "bf16"], help="the net's, as colorize's --precision")
    infer.add_argument("--fresh-process", action=argparse.BooleanOptionalAction, default=True,
                       help="also time the colorize command in a fresh process (start-up, peak memory)")  # fmt: skip
    video = sub.add_parser("video", help="colorize a film: frames/s per temporal mode, against the frames alone")
    video.add_argument("--model", default="gan", choices=["gan", "pix2pix", "mse_cnn", "fusion", "zhang16"])
    video.add_argument("--ckpt", default=None, help="a checkpoint instead of --model (its own working size)")
    video.add_argument("--film-size", default="1920x1080", help="WIDTHxHEIGHT of the generated film")
    video.add_argument("--seconds", type=float, default=2.0, help="its length, at 24 frames/s, with sound")
    for p in (data, train, infer, video):
        p.add_argument("--size", type=int, default=256, help="training / working image size")
        p.add_argument("--batch", type=int, default=4, help="batch size (infer: video frames per batch)")
    index = sub.add_parser("index", help="the dataset index of a folder: a first run (cold) and a second (warm)")
    index.add_argument("--images", required=True, help="a folder of photos")
    index.add_argument("--workers", type=int, default=2, help="processes checking files (data.num_workers)")
    for p in (data, train, infer, index, video):
        p.add_argument("--device", default="auto")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = resolve_device(args.device)
    sizes = {"size": args.size, "batch": args.batch} if args.command != "index" else {}
    settings = {"command": args.command, **sizes, **machine()}
    run = {"data": data_path.run, "train": train_step.run, "infer": infer_path.run, "index": index_build.run}
    run["video"] = video_path_run
    try:
        rows, extra = run[args.command](args, device)
    except ColorganError as err:  # e.g. --source streaming without the streaming extra: one line
        raise SystemExit(f"error: {err}") from err
    record = report(f"benchmark {args.command}", rows, {**settings, **extra})
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
