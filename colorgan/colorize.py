"""Colorize image files with a trained checkpoint.

    python -m colorgan.colorize --ckpt RUN/checkpoints/last.ckpt photo.jpg old/ 'scans/**/*.tif' --out colorized/
    python -m colorgan.colorize --ckpt HINTS.ckpt photo.jpg --hints hints.json --out colorized/   # colour hints

Inputs are files, folders (recursive) or globs. Each output is ``OUT/<stem>.png`` (a folder's
relative layout is kept), at the input's full size and lightness. Inputs are never overwritten;
an unreadable file is reported by name, the others are still done, and the exit code says so.
"""

from __future__ import annotations

import argparse
import glob
import logging
import sys
import time
from pathlib import Path

from colorgan.data.images import IMAGE_EXTENSIONS, find_images, load_rgb
from colorgan.errors import CheckpointError, ConfigError
from colorgan.hints import read_hints
from colorgan.inference import colorize_image, resolve_device
from colorgan.training.checkpoint import load_colorizer

log = logging.getLogger("colorgan.colorize")


def expand_inputs(args: list[str]) -> tuple[list[tuple[Path, Path]], list[str]]:
    """``(file, output path relative to OUT)`` for every input, and the arguments that matched nothing."""
    found, missing = [], []
    for arg in args:
        path = Path(arg).expanduser()
        if path.is_dir():
            found += [(f, f.relative_to(path).with_suffix(".png")) for f in find_images(path)]
        elif path.is_file():
            found.append((path, Path(path.stem + ".png")))
        else:
            matches = sorted(Path(m) for m in glob.glob(str(path), recursive=True))
            files = [m for m in matches if m.is_file() and m.suffix.lower() in IMAGE_EXTENSIONS]
            found += [(f, Path(f.stem + ".png")) for f in files]
            if not files:
                missing.append(arg)
    return found, missing


def output_paths(items: list[tuple[Path, Path]], out: Path) -> list[Path]:
    """Distinct output paths under ``out``, none of which is one of the inputs."""
    inputs = {f.resolve() for f, _ in items}
    taken: set[Path] = set()
    paths = []
    for _, rel in items:
        target, n = out / rel, 1
        while target.resolve() in taken or target.resolve() in inputs:
            n += 1
            target = out / rel.with_name(f"{rel.stem}-{n}.png")
        taken.add(target.resolve())
        paths.append(target)
    return paths


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m colorgan.colorize", description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", help="image files, folders (recursive) or globs")
    parser.add_argument("--ckpt", required=True, help="a colorgan checkpoint (any of the four models)")
    parser.add_argument("--out", default="colorized", help="output folder (default: ./colorized)")
    parser.add_argument("--device", default="auto", help="auto (GPU when there is one), cpu, cuda, cuda:1...")
    parser.add_argument("--size", type=int, default=None, help="working size (default: the training image size)")
    parser.add_argument(
        "--hints",
        default=None,
        help="colour hints for one photo, with a checkpoint trained with hints=random: a hints.json "
        '([{"x": 120, "y": 48, "color": "#3366cc", "size": 5}, ...], photo pixels) or an RGBA strokes image',
    )
    return parser.parse_args(argv)


def check_hints(args: argparse.Namespace, model, items: list) -> None:
    """Hints are for one photo (their coordinates are its pixels), and for a model trained with hints."""
    if args.hints is None:
        return
    model.require_hints()
    if len(items) != 1:
        raise ConfigError(f"--hints {args.hints} gives hints for one photo; got {len(items)} images")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        model = load_colorizer(args.ckpt, resolve_device(args.device))
        items, missing = expand_inputs(args.inputs)
        check_hints(args, model, items)
    except (CheckpointError, FileNotFoundError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failed = [f"{arg}: no such file, folder or matching image" for arg in missing]
    out = Path(args.out).expanduser()
    for (src, _), dst in zip(items, output_paths(items, out)):
        start = time.perf_counter()
        try:
            img = load_rgb(src)
            hints = None if args.hints is None else read_hints(args.hints, (img.height, img.width), model.ab_scale)
            result = colorize_image(model, img, args.size, hints)
            dst.parent.mkdir(parents=True, exist_ok=True)
            result.save(dst)
        except Exception as err:  # one bad file must not stop the others
            failed.append(f"{src}: {type(err).__name__}: {err}")
            continue
        log.info("%s -> %s (%dx%d, %.1f s)", src, dst, *result.size, time.perf_counter() - start)
    print(f"colorized {len(items) - (len(failed) - len(missing))} of {len(items)} images into {out}")
    for line in failed:
        print(f"failed: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
