"""The demo as users meet it: ``python -m colorgan.demo`` on a free localhost port, called through
gradio_client (a script) and driven in Chromium (a person, marked ``browser``)."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from colorgan.data.images import load_rgb
from colorgan.demo import parse_args
from colorgan.inference import colorize_image
from colorgan.training.checkpoint import default_name, load_colorizer
from tests.conftest import ROOT, photo

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium as a sandboxed CI job can run it: no GPU, no sandbox, nothing reaching the network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAX_MEGAPIXELS = 1.6  # the server's upload limit in these tests: a 1400x1200 image is "huge"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the demo exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the demo did not serve {url} within {timeout} s:\n{log.read_text()}")


def serve_demo(ckpts: list[Path], folder: Path, *args: str):
    """The demo command serving ``ckpts`` (the first is the default) on a free port until the generator is closed:
    yields ``{"url", "models" (row name -> model), "log"}``."""
    port, log = _free_port(), folder / "server.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-m", "colorgan.demo", *(a for c in ckpts for a in ("--ckpt", str(c)))]
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port), *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_serving(url, proc, log)
        models = {default_name(m, c): m for c in ckpts for m in [load_colorizer(c)]}
        yield {"url": url, "models": models, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def demo(checkpoints, tmp_path_factory) -> dict:
    """The demo command serving two one-step checkpoints (gan first: the default) on a free port."""
    ckpts = [checkpoints["gan"], checkpoints["mse_cnn"]]
    yield from serve_demo(ckpts, tmp_path_factory.mktemp("demo"), "--max-megapixels", str(MAX_MEGAPIXELS))


@contextmanager
def chromium_page(url: str, folder: Path, height: int):
    """A page of the system's Chromium (a fresh profile in ``folder``) at ``url``; skips by name without it."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(folder / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True,
            viewport={"width": 1280, "height": height},
        )  # fmt: skip
        try:
            page = browser.new_page()
            page.goto(url)
            yield page
        finally:
            browser.close()


@pytest.fixture(scope="module")
def client(demo) -> Client:
    return Client(demo["url"], verbose=False)


@pytest.fixture(scope="module")
def cat(tmp_path_factory) -> Path:
    """A real colour photo, 451x300: not square, and larger than the checkpoints' 64 px working size."""
    path = tmp_path_factory.mktemp("uploads") / "chelsea.jpg"
    Image.fromarray(photo("chelsea")).save(path, quality=95)
    return path


@pytest.fixture(scope="module")
def big_cat(tmp_path_factory) -> Path:
    """The cat at 1500x998: larger than the page's 1280 px preview, so only full resolution passes."""
    path = tmp_path_factory.mktemp("uploads") / "big_chelsea.png"
    Image.fromarray(photo("chelsea")).resize((1500, 998), Image.Resampling.BICUBIC).save(path)
    return path


def test_it_serves_this_machine_only_and_opens_no_public_link_unless_asked():
    args = parse_args(["--ckpt", "a.ckpt"])
    assert args.host == "127.0.0.1" and not args.share


def _colourful_share(img: Image.Image) -> float:
    rgb = np.asarray(img.convert("RGB"), dtype=np.int16)
    return float((rgb.max(axis=2) - rgb.min(axis=2) > 12).mean())


def test_api_returns_the_full_size_colorization_that_colorize_computes(demo, client, big_cat):
    out = Image.open(client.predict(handle_file(str(big_cat)), api_name="/colorize"))
    assert out.format == "PNG" and out.size == (1500, 998)
    assert _colourful_share(out) > 0.05  # not gray
    model = next(iter(demo["models"].values()))  # the default: the first --ckpt
    expected = colorize_image(model, load_rgb(big_cat))  # the colorize command's path, at the training size
    assert np.array_equal(np.asarray(out.convert("RGB")), np.asarray(expected))


def test_api_offers_the_checkpoints_by_name_and_uses_the_chosen_one(demo, client, cat):
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/colorize"]["parameters"]
    assert params[1]["type"]["enum"] == list(demo["models"]) and params[1]["parameter_has_default"]
    assert params[2]["parameter_has_default"]  # the working size: 0 = the checkpoint's training size
    name, model = list(demo["models"].items())[1]
    out = Image.open(client.predict(handle_file(str(cat)), name, 96, api_name="/colorize"))
    assert np.array_equal(np.asarray(out.convert("RGB")), np.asarray(colorize_image(model, load_rgb(cat), 96)))


def test_requests_are_queued_and_run_one_at_a_time(demo, client, cat):
    jobs = [client.submit(handle_file(str(cat)), None, size, api_name="/colorize") for size in (256, 320, 384)]
    assert all(Image.open(job.result(timeout=120)).size == (451, 300) for job in jobs)
    spans = sorted(
        (float(start), float(end))
        for start, end in re.findall(r"chelsea\.jpg .* at \d+ px in .* \[([\d.]+)-([\d.]+)\]", demo["log"].read_text())
    )
    assert len(spans) >= 3 and all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


def test_bad_uploads_get_a_message_and_the_server_keeps_serving(client, cat, tmp_path):
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(cat.read_bytes()[: len(cat.read_bytes()) // 3])  # a truncated JPEG
    huge = tmp_path / "huge.png"
    Image.new("RGB", (1400, 1200)).save(huge)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    cases = {
        corrupt: "corrupt.jpg: the image data is damaged",
        huge: r"huge.png: 1400x1200 = 1.68 MP is above the limit of 1.6 MP \(--max-megapixels\)",
        text: "Invalid file type",
    }
    for path, message in cases.items():
        with pytest.raises(AppError, match=message):
            client.predict(handle_file(str(path)), api_name="/colorize")
    with pytest.raises(AppError, match="working size 8 is outside"):
        client.predict(handle_file(str(cat)), None, 8, api_name="/colorize")
    assert Image.open(client.predict(handle_file(str(cat)), api_name="/colorize")).size == (451, 300)


@pytest.mark.browser
def test_a_person_colorizes_a_photo_in_chromium(demo, cat, tmp_path):
    from playwright.sync_api import expect

    with chromium_page(demo["url"], tmp_path, 900) as page:
        page.locator("input[type=file]").first.set_input_files(str(cat))  # upload: colorizes at once
        expect(page.get_by_text("Colorized by")).to_be_visible(timeout=120_000)
        expect(page.get_by_text("a colour photo, converted to gray first")).to_be_visible()
        png = page.request.get(page.locator("a[href*='chelsea-colorized.png']").first.get_attribute("href")).body()
        slider = page.locator("#before-after img")
        expect(slider).to_have_count(2)
        before, after = (
            Image.open(io.BytesIO(page.request.get(img.get_attribute("src")).body())) for img in slider.all()
        )
        page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
    out = Image.open(io.BytesIO(png))
    assert out.size == (451, 300) and _colourful_share(out) > 0.05
    assert before.size == after.size == out.size  # the previews (long side up to 1280 px)
    assert _colourful_share(before) == 0 and _colourful_share(after) > 0.05
    if os.environ.get("COLORGAN_DEMO_SCREENSHOT"):  # how the README's screenshot is made
        shutil.copy(tmp_path / "demo.png", os.environ["COLORGAN_DEMO_SCREENSHOT"])
