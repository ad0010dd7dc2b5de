"""The colorize path stage by stage, for a large photo and for a batch of video frames, each stage beside
its floor measured in the same run: Pillow's own decode and encode, the memory bandwidth for the pixel
stages (their bytes read and written once), the machine's matmul rate for the net; and the colorize
command end to end in a fresh process (wall time, peak memory, and its start-up against ``import torch``)."""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorgan.benchmarks.models import benchmark_model
from colorgan.benchmarks.stages import (
    Stage,
    best_seconds,
    copy_bytes_per_s,
    encoded,
    forward_flops,
    print_stages,
    python_seconds,
    run_command,
    stage_record,
    synthetic_photo,
)
from colorgan.color.chunks import for_chunks
from colorgan.color.gamut import outside_share
from colorgan.color.lab import L_SCALE, lab_to_linear
from colorgan.colorize import SAVE_OPTIONS, output_suffix, save_image
from colorgan.data.images import load_rgb
from colorgan.inference import (
    colorize_frames,
    colorize_image,
    compose_rgb,
    frames_lightness,
    upsample_ab,
    working_shape,
)
from colorgan.training.checkpoint import load_colorizer
from colorgan.training.step_cost import matmul_flops_per_s


def gamut_work(L: torch.Tensor, ab: torch.Tensor, ab_scale: float) -> float:
    """The share of the colours (normalized ``L``, ``ab``) outside sRGB, which gamut mapping works on, from
    every 4th row and column: an untrained net's saturated ab makes the Lab -> sRGB stage its slowest."""
    L, ab = L[..., ::4, ::4], ab[..., ::4, ::4]
    return outside_share(lab_to_linear(((L + 1.0) * L_SCALE).clamp(0.0, 100.0), ab * ab_scale))


def pixel_stages(model, frames: torch.Tensor, size: int, bandwidth: float, matmul: float) -> list[Stage]:
    """Lightness, resize, net, ab upsampling and Lab -> sRGB of uint8 ``frames (N, 3, H, W)``."""
    n, _, h, w = frames.shape
    px = n * h * w
    L = frames_lightness(frames)
    shape = working_shape(h, w, size)
    L_small = F.interpolate(L, size=shape, mode="bilinear", antialias=True).to(next(model.parameters()).device)
    with torch.no_grad():
        ab_small = model(L_small).float().cpu()
    ab = upsample_ab(ab_small, (h, w))
    flops = forward_flops(model.generator, tuple(L_small.shape))
    return [
        Stage("lightness (uint8 RGB -> L)", best_seconds(lambda: frames_lightness(frames)), px * 7 / bandwidth,
              "read 3 B + write 4 B per pixel"),
        Stage(f"resize L to {shape[0]}x{shape[1]}",
              best_seconds(lambda: F.interpolate(L, size=shape, mode="bilinear", antialias=True)),
              px * 4 / bandwidth, "read 4 B per pixel"),
        Stage("net", best_seconds(lambda: model(L_small)), flops / matmul, f"{flops / 1e9:.1f} GFLOP, fp32 matmuls"),
        Stage("ab upsampling (strips)",
              best_seconds(lambda: for_chunks((n, h, w), ab_small.device,
                                              lambda i, rows, _: upsample_ab(ab_small[i : i + 1], (h, w), rows))),
              px * 8 / bandwidth, "write 8 B per pixel"),
        Stage("Lab -> sRGB uint8, gamut mapped", best_seconds(lambda: compose_rgb(L, ab, model.ab_scale)),
              px * 15 / bandwidth,
              f"read 12 B + write 3 B per pixel; {gamut_work(L, ab, model.ab_scale):.0%} of colours outside sRGB"),
    ]  # fmt: skip


def photo_stages(model, path: Path, args, bandwidth: float, matmul: float, out_dir: Path) -> list[Stage]:
    """The photo's stages, from the JPEG on disk to the written output."""
    suffix = output_suffix(path, args.format)
    fmt, options = {".png": "PNG", ".jpg": "JPEG"}[suffix], SAVE_OPTIONS[suffix]
    target = out_dir / f"out{suffix}"
    size = args.size or int(model.meta["working_size"])
    frames = torch.from_numpy(np.array(load_rgb(path))).permute(2, 0, 1)[None]
    result = colorize_image(model, load_rgb(path), size)
    decode = Stage("decode (load_rgb, to array)", best_seconds(lambda: np.array(load_rgb(path)), 2),
                   best_seconds(lambda: Image.open(path).load(), 2), "Pillow's decode alone")  # fmt: skip
    encode = Stage(f"encode ({fmt}, {options})", best_seconds(lambda: save_image(result, target), 1),
                   best_seconds(lambda: encoded(result, fmt, **options), 1), "Pillow's encode, in memory")  # fmt: skip
    png6 = Stage("  for reference: PNG, Pillow's default", best_seconds(lambda: encoded(result, "PNG"), 1, False))
    stages = [decode, *pixel_stages(model, frames, size, bandwidth, matmul), encode, png6]
    total = best_seconds(lambda: save_image(colorize_image(model, load_rgb(path), size), target), 1)
    floors = sum(s.floor_s for s in stages if s.floor_s)
    return [*stages, Stage("total: load, colorize_image, save", total, floors, "the floors above, summed")]


def frame_batch(path: Path, n: int, w: int, h: int) -> torch.Tensor:
    """``(n, 3, h, w)`` uint8 frames: the photo resized, panned a few pixels per frame."""
    img = load_rgb(path)
    base = np.asarray(img.resize((w + 8 * n, h + 4 * n), Image.BILINEAR))
    frames = np.stack([base[4 * i : 4 * i + h, 8 * i : 8 * i + w] for i in range(n)])
    return torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()


def checkpoint_for(model, args, folder: Path) -> Path:
    """``--ckpt``, or the benchmark's model saved as a weights-only checkpoint the colorize command loads."""
    if args.ckpt:
        return Path(args.ckpt)
    path = folder / "model.ckpt"
    weights = {"state_dict": model.state_dict()}
    model.on_save_checkpoint(weights)  # the config and meta, as training stores them (zhang16: its bins listed)
    torch.save(weights, path)
    return path


def command_rows(ckpt: Path, photo: Path, args, folder: Path) -> tuple[list[Stage], dict]:
    """The colorize command in fresh processes: start-up (imports, checkpoint) and the whole run."""
    startup = python_seconds(f"import colorgan.colorize as c; c.load_colorizer({str(ckpt)!r})")
    floor = python_seconds("import torch")
    command = ["--ckpt", str(ckpt), str(photo), "--out", str(folder / "cli"), "--format", args.format]
    wall, peak_mb, _ = run_command("colorgan.colorize", *command, *(["--size", str(args.size)] if args.size else []))
    stages = [
        Stage("start-up: imports, checkpoint", startup, floor, "python -c 'import torch'"),
        Stage("python -m colorgan.colorize (whole)", wall),
    ]
    return stages, {"command_s": round(wall, 2), "command_peak_rss_mb": round(peak_mb), "startup_s": round(startup, 2)}


def photo_section(model, photo: Path, args, rates: dict, folder: Path) -> tuple[list[Stage], dict]:
    """The photo's stages, and the colorize command on it in fresh processes unless ``--no-fresh-process``."""
    stages = photo_stages(model, photo, args, rates["bandwidth"], rates["fp32"], folder)
    command, record = [], {}
    if args.fresh_process:
        command, record = command_rows(checkpoint_for(model, args, folder), photo, args, folder)
    w, h = Image.open(photo).size
    print_stages(f"photo {w}x{h} ({w * h / 1e6:.0f} MP JPEG, quality 90)", stages + command)
    return stages + command, {"photo_s": round(stages[-1].seconds, 2), **record}


def frames_section(model, photo: Path, args, rates: dict) -> tuple[list[Stage], float]:
    """A batch of frames: each stage, the net in bf16 too, and colorize_frames whole against the net alone."""
    fw, fh = (int(v) for v in args.frame_size.lower().split("x"))
    frames = frame_batch(photo, args.batch, fw, fh)
    stages = pixel_stages(model, frames, args.size, rates["bandwidth"], rates["fp32"])
    L = F.interpolate(frames_lightness(frames), size=working_shape(fh, fw, args.size), mode="bilinear", antialias=True)
    with torch.autocast(L.device.type, dtype=torch.bfloat16):
        bf16 = best_seconds(lambda: model(L))
    stages.insert(3, Stage("  net in bf16 (--precision bf16)", bf16, stages[2].floor_s * rates["fp32"] / rates["bf16"],
                           "the same FLOPs, bf16 matmuls"))  # fmt: skip
    total = best_seconds(lambda: colorize_frames(model, frames, args.size, args.precision))
    net = stages[3 if args.precision == "bf16" else 2].seconds
    stages.append(Stage(f"total: colorize_frames ({args.precision})", total, net, "the net alone, same precision"))
    print_stages(f"{args.batch} frames {fw}x{fh}, working size {args.size}", stages)
    return stages, net


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict[str, float], dict]:
    if args.threads:
        torch.set_num_threads(args.threads)
    model = (load_colorizer(args.ckpt) if args.ckpt else benchmark_model(args.model, args.size)).to(device).eval()
    if not args.ckpt:
        model.meta["working_size"] = args.size
    rates = {"bandwidth": copy_bytes_per_s(torch.device("cpu"))}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        rates[name] = matmul_flops_per_s(dtype, device)[0]
    print(f"memory bandwidth (copy): {rates['bandwidth'] / 1e9:.1f} GB/s; matmul: fp32 {rates['fp32'] / 1e9:.0f}, "
          f"bf16 {rates['bf16'] / 1e9:.0f} GFLOP/s")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="colorgan-infer-") as tmp:
        w, h = (int(v) for v in args.photo_size.lower().split("x"))
        photo = synthetic_photo(Path(tmp) / "photo.jpg", w, h)
        photo_table, photo_record = photo_section(model, photo, args, rates, Path(tmp))
        frame_table, net_s = frames_section(model, photo, args, rates)
    rows = {f"frames: colorize_frames, {args.precision} (frames/s)": args.batch / frame_table[-1].seconds,
            f"frames: the net's forward alone, {args.precision} (frames/s)": args.batch / net_s}  # fmt: skip
    extra = {"model": args.ckpt or args.model, "photo": args.photo_size, "frames": f"{args.batch}x{args.frame_size}",
             "format": args.format, "precision": args.precision, **photo_record,
             "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
             "bandwidth_gb_s": round(rates["bandwidth"] / 1e9, 1), "matmul_fp32_gflops": round(rates["fp32"] / 1e9),
             "matmul_bf16_gflops": round(rates["bf16"] / 1e9), "photo_stages": stage_record(photo_table),
             "frame_stages": stage_record(frame_table)}  # fmt: skip
    return rows, extra
