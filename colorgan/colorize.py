"""Colorize photos and films with a trained checkpoint.

    python -m colorgan.colorize --ckpt RUN/checkpoints/last.ckpt photo.jpg old/ 'scans/**/*.tif' --out colorized/
    python -m colorgan.colorize --ckpt RUN/checkpoints/last.ckpt film.mp4 old_reels/ --out colorized/
    python -m colorgan.colorize --ckpt HINTS.ckpt photo.jpg --hints hints.json --out colorized/   # colour hints

Inputs are files, folders (recursive) or globs. A photo becomes ``OUT/<stem>.jpg`` if it is a JPEG and
``OUT/<stem>.png`` otherwise (``--format``), a film ``OUT/<stem>.mp4`` (a folder's relative layout is kept),
at the input's full size and lightness; a film keeps its frame rate, timestamps and sound. Inputs are never
overwritten; an unreadable file is reported by name, the others are still done, and the exit code says so.
Each photo is written while the next is colorized.
"""

from __future__ import annotations

import argparse
import glob
import logging
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from colorgan.data.images import IMAGE_EXTENSIONS, load_rgb
from colorgan.data.walk import find_files
from colorgan.errors import CheckpointError, ColorganError, ConfigError
from colorgan.hints import read_hints
from colorgan.inference import PRECISIONS, colorize_image, resolve_device
from colorgan.models.colorizer import Colorizer
from colorgan.training.checkpoint import load_colorizer
from colorgan.video import TEMPORAL_MODES, VIDEO_EXTENSIONS, require_video_extra

MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS

log = logging.getLogger("colorgan.colorize")
JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg"})
# PNG: zlib level 1 takes a quarter of the time of Pillow's default (6) for files 5-10% larger on photos;
# JPEG: quality 95 keeps the photo's L to about half an L* unit at the 99th percentile.
SAVE_OPTIONS = {".png": {"compress_level": 1}, ".jpg": {"quality": 95}}


def is_video(path: Path) -> bool:
    """A film by its extension; a file with neither a photo's nor a film's extension is a film unless
    Pillow recognizes it."""
    suffix = path.suffix.lower()
    if suffix in VIDEO_EXTENSIONS or suffix in IMAGE_EXTENSIONS:
        return suffix in VIDEO_EXTENSIONS
    try:
        with Image.open(path):
            return False
    except (OSError, ValueError):
        return True


def output_suffix(src: Path, fmt: str) -> str:
    """``.mp4`` for a film; for a photo ``.jpg`` or ``.png``: ``auto`` keeps a JPEG a JPEG (the input's own
    lossy format; a PNG of a 24-megapixel photo is ten times the size and takes ten times as long to write)."""
    if is_video(src):
        return ".mp4"
    if fmt == "auto":
        return ".jpg" if src.suffix.lower() in JPEG_EXTENSIONS else ".png"
    return f".{fmt}"


def expand_inputs(args: list[str], fmt: str = "auto") -> tuple[list[tuple[Path, Path]], list[str]]:
    """``(file, output path relative to OUT)`` for every input, and the arguments that matched nothing."""
    found, missing = [], []
    for arg in args:
        path = Path(arg).expanduser()
        if path.is_dir():
            found += [(f, f.relative_to(path)) for f in find_files(path, MEDIA_EXTENSIONS, "image or video")]
        elif path.is_file():
            found.append((path, Path(path.name)))
        else:
            matches = sorted(Path(m) for m in glob.glob(str(path), recursive=True))
            files = [m for m in matches if m.is_file() and m.suffix.lower() in MEDIA_EXTENSIONS]
            found += [(f, Path(f.name)) for f in files]
            if not files:
                missing.append(arg)
    return [(f, rel.with_suffix(output_suffix(f, fmt))) for f, rel in found], missing


def output_paths(items: list[tuple[Path, Path]], out: Path) -> list[Path]:
    """Distinct output paths under ``out``, none of which is one of the inputs."""
    inputs = {f.resolve() for f, _ in items}
    taken: set[Path] = set()
    paths = []
    for _, rel in items:
        target, n = out / rel, 1
        while target.resolve() in taken or target.resolve() in inputs:
            n += 1
            target = out / rel.with_name(f"{rel.stem}-{n}{rel.suffix}")
        taken.add(target.resolve())
        paths.append(target)
    return paths


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m colorgan.colorize", description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", help="image and video files, folders (recursive) or globs")
    parser.add_argument("--ckpt", required=True, help="a colorgan checkpoint (any model)")
    parser.add_argument("--out", default="colorized", help="output folder (default: ./colorized)")
    parser.add_argument("--device", default="auto", help="auto (GPU when there is one), cpu, cuda, cuda:1...")
    parser.add_argument("--size", type=int, default=None, help="working size (default: the training image size)")
    parser.add_argument("--precision", default="32", choices=PRECISIONS,
                        help="the net's arithmetic: 32, or bf16 (faster where the CPU has bf16 instructions, "
                        "AVX512-BF16 or AMX, and on GPUs; python -m colorgan.benchmark infer times both)")  # fmt: skip
    parser.add_argument("--format", default="auto", choices=["auto", "png", "jpg"],
                        help="output format; auto: JPEG for a JPEG (quality 95), PNG for anything else")  # fmt: skip
    parser.add_argument(
        "--temporal", choices=TEMPORAL_MODES, default="flow",
        help="films: flow (default) carries colour along the optical flow between frames, so it does not "
        "flicker, and starts afresh at scene cuts; none colorizes every frame on its own",
    )  # fmt: skip
    parser.add_argument("--batch", type=int, default=8, help="films: frames per pass through the net (default 8)")
    parser.add_argument(
        "--hints",
        default=None,
        help="colour hints for one photo, with a checkpoint trained with hints=random: a hints.json "
        '([{"x": 120, "y": 48, "color": "#3366cc", "size": 5}, ...], photo pixels) or an RGBA strokes image',
    )
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error(f"--batch must be at least 1, not {args.batch}")
    return args


def colorize_film(model: Colorizer, src: Path, dst: Path, args: argparse.Namespace) -> str:
    """Colorize one film into ``dst``; what was done, for the log."""
    start = time.perf_counter()
    require_video_extra(f"{src} (a video)")
    from colorgan.video.pipeline import colorize_film as colorize_frames_of  # imports PyAV and OpenCV: films only

    dst.parent.mkdir(parents=True, exist_ok=True)
    film = colorize_frames_of(model, src, dst, args.temporal, args.batch, args.size)
    seconds = time.perf_counter() - start
    return f"{src} -> {dst} ({film.frames} frames {film.size[0]}x{film.size[1]}, {seconds:.1f} s)"


def save_image(img: Image.Image, dst: Path) -> None:
    """Write ``img`` to ``dst`` (a new file in a folder made as needed) in the format its suffix names."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    img.save(dst, **SAVE_OPTIONS[dst.suffix])


def _saved(saving: tuple[Path, Path, float, Future] | None, failed: list[str]) -> None:
    """Wait for the output being written, if any; log it, or add its error to ``failed``."""
    if saving is None:
        return
    src, dst, start, future = saving
    try:
        future.result()
    except Exception as err:  # a full disk or an unwritable folder fails that file, not the run
        failed.append(f"{src}: {type(err).__name__}: {err}")
        return
    log.info("%s -> %s (%.1f s)", src, dst, time.perf_counter() - start)


def check_hints(args: argparse.Namespace, model, items: list) -> None:
    """Hints are for one photo (their coordinates are its pixels), and for a model trained with hints."""
    if args.hints is None:
        return
    model.require_hints()
    if len(items) != 1:
        raise ConfigError(f"--hints {args.hints} gives hints for one photo; got {len(items)} inputs")
    if items[0][1].suffix == ".mp4":
        raise ConfigError(f"--hints {args.hints} gives hints for one photo; {items[0][0]} is a film")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        model = load_colorizer(args.ckpt, resolve_device(args.device))
        items, missing = expand_inputs(args.inputs, args.format)
        check_hints(args, model, items)
    except (CheckpointError, FileNotFoundError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failed = [f"{arg}: no such file, folder or matching image or video" for arg in missing]
    out = Path(args.out).expanduser()
    with ThreadPoolExecutor(max_workers=1) as writer:  # a photo is written while the next is colorized
        saving: tuple[Path, Path, float, Future] | None = None
        for (src, _), dst in zip(items, output_paths(items, out)):
            start = time.perf_counter()
            try:
                if dst.suffix == ".mp4":
                    log.info("%s", colorize_film(model, src, dst, args))
                    continue
                img = load_rgb(src)
                hints = None if args.hints is None else read_hints(args.hints, (img.height, img.width), model.ab_scale)
                result = colorize_image(model, img, args.size, args.precision, hints)
            except Exception as err:  # one bad file must not stop the others
                failed.append(str(err) if isinstance(err, ColorganError) else f"{src}: {type(err).__name__}: {err}")
                continue
            _saved(saving, failed)
            saving = (src, dst, start, writer.submit(save_image, result, dst))
        _saved(saving, failed)
    print(f"colorized {len(items) - (len(failed) - len(missing))} of {len(items)} files into {out}")
    for line in failed:
        print(f"failed: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
