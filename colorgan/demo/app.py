"""The page: a Gradio Blocks app around ``DemoColorizer``, and the command line that serves it."""

from __future__ import annotations

import argparse
import functools
import html
import logging
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from colorgan.color import gray_rgb, rgb_to_L_ab
from colorgan.data.images import IMAGE_EXTENSIONS
from colorgan.data.scan import is_gray
from colorgan.demo.hints import hint_section, hint_summary, request_hints, with_and_without_hints
from colorgan.demo.uploads import read_upload
from colorgan.errors import CheckpointError, ConfigError, MissingExtra, UploadError, import_extra
from colorgan.inference import colorize_image, resolve_device, working_shape
from colorgan.models.colorizer import Colorizer
from colorgan.training.checkpoint import load_checkpoints

log = logging.getLogger("colorgan.demo")

PREVIEW_SIDE = 1280  # the slider shows a preview; the download is full resolution
MAX_WORKING_SIZE = 1024  # the net sees at most 1024 x 4096 (inference.MAX_ASPECT): bounded memory
RESULT_MAX_AGE_S = 3600  # Gradio deletes served results older than this


@dataclass
class Result:
    png: Path  # full resolution
    before: Image.Image  # preview: the gray image the net colorized
    after: Image.Image  # preview of the result
    note: str


def _html(text: str) -> str:
    """Text (file names included) shown as text: Gradio renders messages and notes as HTML."""
    return html.escape(text, quote=False)


def _preview(img: Image.Image) -> Image.Image:
    small = img.copy()
    small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    return small


def _gray(img: Image.Image) -> Image.Image:
    """The image as the net sees it: its Lab lightness with ab = 0."""
    rgb = torch.from_numpy(np.array(img)).permute(2, 0, 1)[None]
    gray = gray_rgb(rgb_to_L_ab(rgb)[0])[0]  # (3, H, W) in [0, 1]
    return Image.fromarray((gray * 255 + 0.5).byte().permute(1, 2, 0).numpy())


class DemoColorizer:
    """What one request does: read the upload, colorize it at full size, write the PNG, make previews."""

    def __init__(self, models: dict[str, Colorizer], out_dir: Path, max_pixels: int):
        self.models, self.out_dir, self.max_pixels = models, out_dir, max_pixels
        self._last: Path | None = None

    def __call__(
        self, upload: str | None, name: str | None, working_size: float | None, hints_file: str | None = None,
        strokes: np.ndarray | None = None,
    ) -> Result:  # fmt: skip
        """``hints_file`` (a hints.json) or ``strokes`` (an RGBA layer over the gray preview): colour hints."""
        if not upload:
            raise UploadError("no photo: upload one first")
        name = name or next(iter(self.models))
        model = self.models.get(name)
        if model is None:
            raise UploadError(f"unknown checkpoint {name!r}; this demo has: {', '.join(self.models)}")
        size = int(working_size) if working_size else int(model.meta["working_size"])
        if not 32 <= size <= MAX_WORKING_SIZE:
            raise UploadError(f"working size {size} is outside 32..{MAX_WORKING_SIZE}")
        path = Path(upload)
        start, started_at = time.perf_counter(), time.time()
        img = read_upload(path, self.max_pixels, limit_setting="--max-megapixels")
        before = _preview(img)
        colour = not is_gray(before)
        hints = request_hints(model, name, img, hints_file, strokes)
        result = colorize_image(model, img, size, hints=hints)  # uses only the L of img: a colour photo is seen as gray
        if self._last is not None:  # Gradio has copied it to its cache (the queue runs one request at a time)
            shutil.rmtree(self._last, ignore_errors=True)
        self._last = self.out_dir / uuid.uuid4().hex
        png = self._last / f"{path.stem}-colorized.png"
        self._last.mkdir(parents=True)
        result.save(png)
        net_h, net_w = working_shape(img.height, img.width, size)
        note = (
            f"**{_html(path.name)}**, {img.width}x{img.height}: "
            + ("a colour photo, **converted to gray first** (the network sees only the lightness). " if colour else "")
            + ("" if hints is None else f"With your colour hints ({int(hints[:, 2].sum())} hinted pixels). ")
            + f"Colorized by {_html(name)} at working size {size} "
            f"(the network ran at {net_w}x{net_h}) in {time.perf_counter() - start:.1f} s. "
            f"The PNG below is the full-resolution result ({img.width}x{img.height})."
        )
        log.info(  # the wall-clock span shows that requests never overlap (the queue runs one at a time)
            "%s (%dx%d) colorized by %s at %d px%s in %.1f s [%.3f-%.3f] -> %s",
            *(path.name, img.width, img.height, name, size, hint_summary(hints)),
            *(time.perf_counter() - start, started_at, time.time(), png),
        )
        return Result(png, _gray(before), _preview(result), note)


INTRO = """# colorgan: automatic colorization
Upload a photo, colour or black-and-white (JPEG, PNG, WebP, BMP, TIFF). A colour photo is **converted to
gray first**: the network sees only the lightness and predicts the colour; the result keeps your photo's
own lightness and full resolution. The working size is the short side the network runs at: larger shows
finer colour detail and takes longer."""


def _reported(work: Callable) -> Callable:
    """``work`` for a Gradio event: a person's mistake (``UploadError``) or a failure reaches the page as one
    line, and the server keeps serving."""
    import gradio as gr

    @functools.wraps(work)  # Gradio reads the parameters of the API from the signature
    def run(photo: str | None, *args):
        try:
            return work(photo, *args)
        except UploadError as err:
            log.warning("refused: %s", err)
            raise gr.Error(_html(str(err)), title="Cannot colorize this", print_exception=False) from None
        except Exception as err:
            log.exception("colorizing %s failed", photo)
            message = f"colorization failed: {type(err).__name__}: {err}"
            raise gr.Error(_html(message), print_exception=False) from None

    return run


def _handler(colorizer: DemoColorizer) -> Callable:
    def colorize(photo: str | None, checkpoint: str | None, working_size: float | None, hints: str | None = None):
        result = colorizer(photo, checkpoint, working_size, hints_file=hints)
        return str(result.png), result

    return _reported(colorize)


def build_app(colorizer: DemoColorizer):
    """The page: upload, checkpoint, working size -> before/after slider, note, full-resolution PNG; with a
    checkpoint trained with hints, also an editor to paint colour hints on the gray photo."""
    import gradio as gr

    names = list(colorizer.models)
    takes_hints = any(model.uses_hints for model in colorizer.models.values())
    sizes = ", ".join(f"{n}: {int(m.meta['working_size'])}" for n, m in colorizer.models.items())
    with gr.Blocks(title="colorgan demo", analytics_enabled=False, delete_cache=(600, RESULT_MAX_AGE_S)) as app:
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column():
                photo = gr.File(label="Photo", file_types=sorted(IMAGE_EXTENSIONS), type="filepath")
                checkpoint = gr.Dropdown(names, value=names[0], label="Checkpoint", interactive=len(names) > 1)
                working_size = gr.Number(
                    value=0,
                    label="Working size (px)",
                    info=f"0: the checkpoint's training size ({sizes}); else 32 to {MAX_WORKING_SIZE}",
                    minimum=0,
                    maximum=MAX_WORKING_SIZE,
                    precision=0,
                )
                hints = gr.File(
                    label="Colour hints (optional): a hints.json of points in the photo's pixels",
                    file_types=[".json"],
                    type="filepath",
                    visible=takes_hints,
                )
                run = gr.Button("Colorize", variant="primary")
            with gr.Column():
                slider = gr.ImageSlider(
                    label="Before / after",
                    type="pil",
                    buttons=["fullscreen"],
                    interactive=False,
                    elem_id="before-after",
                )
                note = gr.Markdown()
                png = gr.File(label="Full-resolution PNG", interactive=False)
        result = gr.State()
        editor = None
        if takes_hints:  # the gray photo in an editor to paint hints on, and the two results side by side
            editor = hint_section(_reported(with_and_without_hints(colorizer)), [photo, checkpoint, working_size])
        gr.on(
            [photo.upload, run.click],
            _handler(colorizer),
            [photo, checkpoint, working_size, hints],
            [png, result],
            api_name="colorize",  # returns the PNG file only: State outputs are not part of the API
            concurrency_limit=1,  # one colorization at a time, whoever asks: memory stays bounded
            concurrency_id="colorize",
        ).success(
            lambda r: ((r.before, r.after), r.note, *([r.before] if editor else [])),  # paint on the gray photo
            result,
            [slider, note, *([editor] if editor else [])],
            api_visibility="private",
        )
    return app


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m colorgan.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ckpt", action="append", required=True, help="a checkpoint; repeat for several")
    parser.add_argument("--name", action="append", help="dropdown name of each --ckpt (default: as compare's)")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (0.0.0.0: every interface)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    parser.add_argument("--device", default="auto", help="auto (GPU when there is one), cpu, cuda, cuda:1...")
    parser.add_argument("--max-megapixels", type=float, default=50.0, help="larger uploads are refused (default 50)")
    parser.add_argument("--max-upload-mb", type=int, default=200, help="larger files are refused (default 200)")
    parser.add_argument("--queue-size", type=int, default=16, help="requests waiting at most; more are turned away")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        import_extra("gradio", "demo", "the demo")  # only the demo needs it
    except MissingExtra as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        models = load_checkpoints(args.ckpt, args.name, resolve_device(args.device)).models  # names: one row per name
    except (CheckpointError, FileNotFoundError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="colorgan-demo-") as out_dir:
        colorizer = DemoColorizer(models, Path(out_dir), int(args.max_megapixels * 1e6))
        app = build_app(colorizer).queue(max_size=args.queue_size, default_concurrency_limit=1)
        app.launch(
            server_name=args.host,
            server_port=args.port,
            share=args.share,
            max_file_size=f"{args.max_upload_mb}mb",
            show_error=True,
        )
    return 0
