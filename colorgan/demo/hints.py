"""Colour hints on the demo page, for checkpoints trained with hints=random: strokes a person paints on the gray
photo in Gradio's image editor (a click is a dot), or a hints.json sent to the ``/colorize`` API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from torch import Tensor

from colorgan.errors import ConfigError, HintError, UploadError
from colorgan.hints import read_hints
from colorgan.hints.files import OPAQUE, hints_from_rgba
from colorgan.models.colorizer import Colorizer

# The brush's colour swatches (the picker offers any other): sky, foliage, skin, brick, sand, sea, violet, red.
PALETTE = ["#5b8fd6", "#4f8a3c", "#e0ac8a", "#a2462e", "#d8c07a", "#2f6f86", "#7d5ba6", "#c8302c"]
INTRO = """### Colour hints
This checkpoint also takes colour hints (Zhang et al. 2017): paint strokes or click dots on the gray photo
below with the brush (pick a colour from the swatches or the picker), then colorize with your hints. The
network spreads each hint over the region it belongs to; the result keeps the photo's own lightness."""


def painted_layer(editor: dict | None) -> np.ndarray | None:
    """The strokes of an image editor value as one ``(H, W, 4)`` RGBA layer the size of its background (later
    layers over earlier ones); None when nothing opaque was painted."""
    layers = [layer for layer in (editor or {}).get("layers") or [] if layer is not None]
    background = (editor or {}).get("background")
    if not layers:
        return None
    merged = Image.new("RGBA", Image.fromarray(layers[0]).size, (0, 0, 0, 0))
    for layer in layers:
        merged.alpha_composite(Image.fromarray(layer).convert("RGBA").resize(merged.size, Image.Resampling.NEAREST))
    if background is not None and merged.size != (background.shape[1], background.shape[0]):
        merged = merged.resize((background.shape[1], background.shape[0]), Image.Resampling.NEAREST)
    rgba = np.asarray(merged)
    return rgba if (rgba[..., 3] >= OPAQUE).any() else None


def request_hints(
    model: Colorizer, name: str, photo: Image.Image, hints_file: str | None, strokes: np.ndarray | None
) -> Tensor | None:
    """The hint map of one request (a hints.json in the photo's pixels, or strokes at any size of its aspect
    ratio: the net's working size is what they are resized to), or None; ``UploadError`` naming the problem."""
    if hints_file is None and strokes is None:
        return None
    try:
        model.require_hints()
        if hints_file is not None:
            return read_hints(hints_file, (photo.height, photo.width), model.ab_scale)
        return hints_from_rgba(strokes, model.ab_scale, "the painted strokes")
    except (ConfigError, HintError) as err:  # named by the file's own name, not Gradio's temporary path
        message = str(err).replace(str(hints_file), Path(hints_file).name) if hints_file else str(err)
        raise UploadError(f"{name}: {message}" if isinstance(err, ConfigError) else message) from None


def hint_summary(hints: Tensor | None) -> str:
    """`` with N hinted pixels in rows a-b, columns c-d`` of the hint map (for the log), or nothing."""
    if hints is None:
        return ""
    rows, cols = hints[0, 2].nonzero(as_tuple=True)
    return f" with {rows.numel()} hinted pixels in rows {rows.min()}-{rows.max()}, columns {cols.min()}-{cols.max()}"


def with_and_without_hints(colorizer: Callable) -> Callable:
    """What the hint button does with a ``DemoColorizer``: the painted strokes' colorization (its PNG, preview and
    note) and the automatic one's preview beside it."""

    def colorize_with_hints(photo: str | None, checkpoint: str | None, working_size: float | None, editor: dict):
        strokes = painted_layer(editor)
        if strokes is None:
            raise UploadError("no colour hint painted: paint strokes or click dots on the gray photo first")
        automatic = colorizer(photo, checkpoint, working_size)
        hinted = colorizer(photo, checkpoint, working_size, strokes=strokes)
        return str(hinted.png), automatic.after, hinted.after, hinted.note

    return colorize_with_hints


def hint_section(colorize_with_hints: Callable, inputs: list):
    """The page's hint part: the gray photo in an image editor with a colour brush, a button, and the automatic
    and hinted results side by side; returns the editor (the upload sets its background)."""
    import gradio as gr

    gr.Markdown(INTRO)
    editor = gr.ImageEditor(
        label="Paint colour hints on the gray photo",
        type="numpy",
        image_mode="RGBA",
        format="png",  # lossless: a stroke keeps its exact colour
        sources=[],
        layers=False,
        transforms=[],
        brush=gr.Brush(colors=PALETTE, default_color=PALETTE[0], color_mode="defaults"),
        elem_id="hint-editor",
    )
    run = gr.Button("Colorize with my hints", variant="primary")
    with gr.Row():
        automatic = gr.Image(label="Automatic", type="pil", interactive=False, elem_id="automatic")
        hinted = gr.Image(label="With your hints", type="pil", interactive=False, elem_id="hinted")
    note = gr.Markdown()
    png = gr.File(label="Full-resolution PNG with your hints", interactive=False)
    run.click(
        colorize_with_hints,
        [*inputs, editor],
        [png, automatic, hinted, note],
        api_visibility="private",  # the API takes hints as a hints.json: /colorize
        concurrency_limit=1,
        concurrency_id="colorize",
    )
    return editor
