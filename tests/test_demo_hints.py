"""The demo with a checkpoint trained with hints: /colorize takes a hints.json and gives what colorize gives with
it; bad hints and hints for a model without them get a message; in Chromium a person paints a stroke on the
gray photo and sees the hinted result beside the automatic one."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from colorgan.data.images import load_rgb
from colorgan.hints import read_hints
from colorgan.inference import colorize_image
from tests.conftest import photo
from tests.test_demo import chromium_page, serve_demo


@pytest.fixture(scope="module")
def demo(hint_run, checkpoints, tmp_path_factory) -> dict:
    """The demo serving a hint checkpoint (the default) and one trained without hints."""
    ckpts = [hint_run / "checkpoints" / "last.ckpt", checkpoints["mse_cnn"]]
    yield from serve_demo(ckpts, tmp_path_factory.mktemp("demo_hints"))


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    path = tmp_path_factory.mktemp("uploads") / "chelsea.jpg"
    Image.fromarray(photo("chelsea")).save(path, quality=95)  # 451x300
    return path


def test_the_api_takes_a_hints_json_and_colorizes_as_colorize_does(demo, cat, tmp_path):
    hints = tmp_path / "hints.json"
    hints.write_text(
        json.dumps([{"x": 200, "y": 100, "color": "#3366cc", "size": 40}, {"x": 5, "y": 290, "color": "#cc3333"}])
    )
    (name, model), (other, _) = list(demo["models"].items())
    client = Client(demo["url"], verbose=False)
    out = Image.open(client.predict(handle_file(str(cat)), name, 0, handle_file(str(hints)), api_name="/colorize"))
    img = load_rgb(cat)
    expected = colorize_image(model, img, hints=read_hints(hints, (img.height, img.width), model.ab_scale))
    assert np.array_equal(np.asarray(out.convert("RGB")), np.asarray(expected))
    assert not np.array_equal(np.asarray(expected), np.asarray(colorize_image(model, img)))  # the hints mattered
    hints.write_text(json.dumps([{"x": 451, "y": 10, "color": "#3366cc"}]))
    with pytest.raises(AppError, match=r"hints.json: hint 1 at x=451, y=10 is outside the 451x300 photo"):
        client.predict(handle_file(str(cat)), name, 0, handle_file(str(hints)), api_name="/colorize")
    hints.write_text(json.dumps([{"x": 1, "y": 10, "color": "#3366cc"}]))
    with pytest.raises(AppError, match="trained without colour hints"):
        client.predict(handle_file(str(cat)), other, 0, handle_file(str(hints)), api_name="/colorize")
    assert Image.open(client.predict(handle_file(str(cat)), name, api_name="/colorize")).size == (451, 300)


@pytest.mark.browser
def test_a_person_paints_hints_and_sees_both_results_in_chromium(demo, cat, tmp_path):
    from playwright.sync_api import expect

    with chromium_page(demo["url"], tmp_path, 1400) as page:
        page.locator("input[type=file]").first.set_input_files(str(cat))  # colorizes at once, fills the editor
        expect(page.get_by_text("Colorized by")).to_be_visible(timeout=120_000)
        canvas = page.locator("#hint-editor canvas").first
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        x, y = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5  # the photo sits centred in it
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + box["width"] * 0.1, y, steps=10)  # a short stroke through the middle
        page.mouse.up()
        page.get_by_role("button", name="Colorize with my hints").click()
        expect(page.get_by_text("With your colour hints")).to_be_visible(timeout=120_000)
        automatic, hinted = (page.locator(f"#{e} img").first for e in ("automatic", "hinted"))
        expect(hinted).to_be_visible()
        images = [Image.open(io.BytesIO(page.request.get(i.get_attribute("src")).body())) for i in (automatic, hinted)]
        page.screenshot(path=str(tmp_path / "hints.png"), full_page=True)
    assert images[0].size == images[1].size == (451, 300)
    assert not np.array_equal(np.asarray(images[0].convert("RGB")), np.asarray(images[1].convert("RGB")))
    found = re.findall(r"with \d+ hinted pixels in rows (\d+)-(\d+), columns (\d+)-(\d+)", demo["log"].read_text())
    top, bottom, left, right = map(int, found[-1])  # where the hints landed on the 451x300 photo
    assert abs((top + bottom) / 2 - 150) < 15 and abs((left + right) / 2 - 225) < 25  # around its middle
