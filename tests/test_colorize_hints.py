"""colorize --hints: a hints.json or a strokes image lands on exactly the pixels it names, in the hinted colour,
at the net's working size too; bad hints are one line naming the file and the hint."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import colorgan.colorize
from colorgan.color import L_ab_to_rgb, gray_rgb, rgb_to_L_ab
from colorgan.colorize import main as colorize_main
from colorgan.errors import HintError
from colorgan.hints import read_hints
from colorgan.hints.files import colour_ab
from colorgan.inference import colorize_image
from colorgan.models.base import ColorizationModule
from tests.hint_oracle import hint_oracle

BLUE, RED = "#3366cc", "#cc3333"
# (x, y, size, colour): x right, y down; a size x size square centred there
HINTS = [(10, 5, 5, BLUE), (30, 20, 1, RED)]


def hex_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)


def squares(shape: tuple[int, int], hints=HINTS) -> np.ndarray:
    """An RGB image, mid gray, with each hint's square in its colour (what the hints say the photo is)."""
    rgb = np.full((*shape, 3), 128, dtype=np.uint8)
    for x, y, size, colour in hints:
        rgb[y - size // 2 : y - size // 2 + size, x - size // 2 : x - size // 2 + size] = hex_rgb(colour)
    return rgb


def gray_of(rgb: np.ndarray) -> np.ndarray:
    """The gray photo of ``rgb``: its Lab lightness with ab = 0."""
    L = rgb_to_L_ab(torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None])[0]
    return (gray_rgb(L)[0] * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()


def write_json(path, hints=HINTS) -> str:
    path.write_text(json.dumps([{"x": x, "y": y, "color": c, "size": s} for x, y, s, c in hints]))
    return str(path)


def expected_colorization(photo: np.ndarray, hints=HINTS) -> np.ndarray:
    """The photo's L with each hint's ab on its square and ab = 0 elsewhere, through the colour maths."""
    L = rgb_to_L_ab(torch.from_numpy(photo.copy()).permute(2, 0, 1)[None])[0]
    ab = torch.zeros(1, 2, *photo.shape[:2])
    for (x, y, size, _), value in zip(hints, colour_ab([h[3] for h in hints], 110.0)):
        ab[0, :, y - size // 2 : y - size // 2 + size, x - size // 2 : x - size // 2 + size] = value[:, None, None]
    return (L_ab_to_rgb(L, ab)[0] * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()


def test_hints_json_colours_exactly_its_squares_in_their_colours(tmp_path):
    photo = gray_of(squares((32, 40)))  # gray, with the L of the colours where they are
    hints = read_hints(write_json(tmp_path / "hints.json"), (32, 40), 110.0)
    out = np.asarray(colorize_image(hint_oracle(32), Image.fromarray(photo), hints=hints))  # the net at 32x40
    assert np.array_equal(out, expected_colorization(photo))
    assert np.abs(out[3:8, 8:13].astype(int) - hex_rgb(BLUE)).max() <= 2  # the 5x5 square centred at x=10, y=5
    assert np.abs(out[20, 30].astype(int) - hex_rgb(RED)).max() <= 2  # one pixel at x=30, y=20
    assert out[20, 29].std() < 1 and out[19, 30].std() < 1 and out[0, 0].std() < 1  # gray around it


def test_strokes_hint_their_opaque_pixels_like_hints_json(tmp_path):
    rgba = np.dstack([squares((32, 40)), np.zeros((32, 40), np.uint8)])
    rgba[3:8, 8:13, 3] = 255
    rgba[20, 30, 3] = 200  # opaque enough
    rgba[0:2, 0:2, 3] = 100  # a brush's soft edge: not a hint
    Image.fromarray(rgba, "RGBA").save(tmp_path / "strokes.png")
    from_strokes = read_hints(tmp_path / "strokes.png", (32, 40), 110.0)
    from_json = read_hints(write_json(tmp_path / "hints.json"), (32, 40), 110.0)
    torch.testing.assert_close(from_strokes, from_json)


def test_hints_are_mapped_to_the_working_size_and_back(tmp_path):
    hints_list = [(40, 20, 6, BLUE)]
    photo = gray_of(squares((64, 80), hints_list))
    hints = read_hints(write_json(tmp_path / "hints.json", hints_list), (64, 80), 110.0)
    out = np.asarray(colorize_image(hint_oracle(32), Image.fromarray(photo), hints=hints))  # the net at 32x40
    assert out.shape == (64, 80, 3)
    assert np.abs(out[18:22, 38:42].astype(int) - hex_rgb(BLUE)).max() <= 2  # the square's inside
    assert out[40:, :].std(axis=2).max() < 1  # far from it: gray


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(gray_of(squares((32, 40)))).save(path)
    return path


def test_the_command_colorizes_with_hints(photo_file, tmp_path, monkeypatch):
    monkeypatch.setattr(colorgan.colorize, "load_colorizer", lambda path, device: hint_oracle(32))
    code = colorize_main(["--ckpt", "oracle.ckpt", str(photo_file), "--hints", write_json(tmp_path / "h.json"),
                          "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 0
    photo = np.asarray(Image.open(photo_file).convert("RGB"))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "photo.png")), expected_colorization(photo))


def test_a_model_without_hints_refuses_them_and_hints_are_for_one_photo(checkpoints, photo_file, tmp_path, capsys):
    hints = write_json(tmp_path / "h.json")
    assert colorize_main(["--ckpt", str(checkpoints["gan"]), str(photo_file), "--hints", hints]) == 2
    assert "trained without colour hints (hints=none)" in capsys.readouterr().err
    automatic = ColorizationModule(torch.nn.Conv2d(1, 2, 1), hints={})
    colorgan.colorize.load_colorizer, saved = (lambda path, device: automatic), colorgan.colorize.load_colorizer
    try:
        assert colorize_main(["--ckpt", "x.ckpt", str(photo_file), str(photo_file), "--hints", hints]) == 2
    finally:
        colorgan.colorize.load_colorizer = saved
    assert "gives hints for one photo; got 2 inputs" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, message",
    [
        ('[{"x": 40, "y": 5, "color": "#3366cc"}]', r"h.json: hint 1 at x=40, y=5 is outside the 40x32 photo"),
        ('[{"x": 1, "y": 1, "color": "#36c"}]', r'h.json: hint 1: color must be "#rrggbb"'),
        ('[{"x": 1, "y": 1, "color": "#3366cc"}, {"x": 1, "color": "#3366cc"}]', r"h.json: hint 2 is not an object"),
        ('[{"x": 1.5, "y": 1, "color": "#3366cc"}]', r"h.json: hint 1: x must be a whole number"),
        ('[{"x": 1, "y": 1, "color": "#3366cc", "size": 0}]', r"h.json: hint 1: size must be at least 1"),
        ('{"x": 1}', r"h.json: expected a list of hints"),
        ('[{"x": 1,', r"h.json: not valid JSON"),
    ],
)
def test_bad_hints_json_is_one_line_naming_the_file_and_the_hint(tmp_path, content, message):
    (tmp_path / "h.json").write_text(content)
    with pytest.raises(HintError, match=message):
        read_hints(tmp_path / "h.json", (32, 40), 110.0)


def test_bad_strokes_are_named(tmp_path):
    Image.new("RGB", (40, 32)).save(tmp_path / "opaque.png")
    Image.new("RGBA", (20, 32)).save(tmp_path / "small.png")
    Image.new("RGBA", (40, 32)).save(tmp_path / "empty.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    cases = {
        "opaque.png": "needs transparency",
        "small.png": "is 20x32, the photo 40x32",
        "empty.png": "no opaque pixel",
        "broken.png": "not a readable image",
        "missing.json": "no such hints file",
    }
    for name, message in cases.items():
        with pytest.raises(HintError, match=f"{name}: .*{message}"):
            read_hints(tmp_path / name, (32, 40), 110.0)


def test_a_bad_hint_fails_the_photo_in_one_line(photo_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(colorgan.colorize, "load_colorizer", lambda path, device: hint_oracle(32))
    (tmp_path / "h.json").write_text('[{"x": 99, "y": 5, "color": "#3366cc"}]')
    assert colorize_main(["--ckpt", "o.ckpt", str(photo_file), "--hints", str(tmp_path / "h.json")]) == 1
    failed = [line for line in capsys.readouterr().err.splitlines() if line.startswith("failed:")]
    assert len(failed) == 1 and "hint 1 at x=99, y=5 is outside the 40x32 photo" in failed[0]
