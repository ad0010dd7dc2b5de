"""Video metrics pinned by hand-computed cases (Jensen-Shannon, warping error, CDC), and evaluate data=video."""

from __future__ import annotations

import csv
import json
import math
import runpy
import sys

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("av", reason="PyAV is not installed (pip install 'colorgan[video]')")
pytest.importorskip("cv2", reason="OpenCV is not installed (pip install 'colorgan[video]')")

import colorgan.evaluate as evaluate_module  # noqa: E402
from colorgan.errors import ConfigError  # noqa: E402
from colorgan.evaluate import evaluate  # noqa: E402
from colorgan.evaluation.video_metrics import Motion, StabilityMeter, js_divergence, true_motion  # noqa: E402
from colorgan.evaluation.video_scoring import VideoSet  # noqa: E402
from colorgan.training.checkpoint import load_colorizer  # noqa: E402
from colorgan.video.synthetic import film_frames  # noqa: E402
from tests.conftest import ROOT, photo  # noqa: E402
from tests.films import PHOTOS, film, odd_files  # noqa: E402
from tests.test_evaluate import compose_named  # noqa: E402

LN2 = math.log(2)
SHAPE = (6, 8)


def still(value: tuple[int, int, int]) -> np.ndarray:
    return np.broadcast_to(np.array(value, np.uint8), (*SHAPE, 3)).copy()


def no_motion(cut: bool = False) -> Motion:
    return Motion(np.zeros((*SHAPE, 2), np.float32), np.ones(SHAPE, bool), cut)


def meter_of(frames: list[np.ndarray], cuts: tuple[int, ...] = ()) -> dict[str, float]:
    meter = StabilityMeter()
    for t, frame in enumerate(frames):
        meter.add(frame, None if t == 0 else no_motion(t in cuts))
    return meter.result()


def test_jensen_shannon_by_hand():
    assert js_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(LN2)
    assert js_divergence(np.array([3.0, 1.0]), np.array([6.0, 2.0])) == pytest.approx(0.0)  # normalized first
    # p = (1/2, 1/2), q = (1, 0), m = (3/4, 1/4): (KL(p||m) + KL(q||m)) / 2
    expected = 0.5 * (0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25) + math.log(1 / 0.75))
    assert js_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == pytest.approx(expected)
    assert expected == pytest.approx(0.215762, abs=1e-6)


def test_warping_error_of_a_flickering_still_by_hand():
    dark, light = still((51, 51, 51)), still((153, 153, 153))  # 0.2 and 0.6 in [0, 1]: squared step 0.16
    assert meter_of([dark, light, dark, light])["warp_error"] == pytest.approx(0.16, rel=1e-5)
    assert meter_of([dark, dark, dark])["warp_error"] == 0.0


def test_warping_error_counts_only_reliable_pixels():
    meter = StabilityMeter()
    prev, current = still((0, 0, 0)), still((0, 0, 0))
    current[:3] = 255  # the top half changes...
    reliable = np.zeros(SHAPE, bool)
    reliable[3:] = True  # ...where the flow is not trusted
    meter.add(prev, None)
    meter.add(current, Motion(np.zeros((*SHAPE, 2), np.float32), reliable, False))
    assert meter.result()["warp_error"] == 0.0


def test_cdc_by_hand():
    """Red twice, then blue four times: distinct R and B values (G equal); a pair of distinct frames has
    JS = ln 2 in R, B, a and b and 0 in G. Frames 1 apart: 1 of 5 pairs differ; 2: 2 of 4; 4: 2 of 2."""
    red, blue = still((200, 30, 30)), still((30, 30, 200))
    result = meter_of([red, red, blue, blue, blue, blue])
    share = (1 / 5 + 2 / 4 + 2 / 2) / 3
    assert result["cdc"] == pytest.approx(share * 2 * LN2 / 3)
    assert result["cdc_ab"] == pytest.approx(share * LN2)


def test_warping_error_follows_the_true_motion():
    """Content that moves exactly as the true flow says has no warping error, however much it moves."""
    prev = np.random.default_rng(0).integers(0, 256, (*SHAPE, 3), dtype=np.uint8)
    current = np.roll(prev, 2, axis=1)  # every pixel 2 px to the right
    shift = np.zeros((*SHAPE, 2), np.float32)
    shift[..., 0] = 2.0
    reliable = np.zeros(SHAPE, bool)
    reliable[:, :-2] = True  # the last 2 columns leave the frame
    meter = StabilityMeter()
    meter.add(prev, None)
    meter.add(current, Motion(shift, reliable, False))
    assert meter.result()["warp_error"] == pytest.approx(0.0, abs=1e-12)


def test_pairs_across_a_cut_are_left_out():
    red, blue = still((200, 30, 30)), still((30, 30, 200))
    result = meter_of([red] * 5 + [blue] * 5, cuts=(5,))
    assert result == {"warp_error": 0.0, "cdc": 0.0, "cdc_ab": 0.0}
    assert math.isnan(meter_of([red, blue], cuts=(1,))["warp_error"])  # nothing left to compare: NaN, not 0


def test_true_motion_trusts_a_pan_and_finds_the_cut():
    frames = list(film_frames(PHOTOS, (128, 72), 24, 12))
    pan, cut = true_motion(frames[4], frames[5]), true_motion(frames[11], frames[12])
    assert not pan.cut and pan.reliable.mean() > 0.6
    assert cut.cut


@pytest.fixture(scope="module")
def film_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("films")
    film(root / "a.mp4", size=(96, 54), seconds=0.5)
    film(root / "sub" / "b.mkv", size=(80, 48), seconds=0.5, codec="ffv1", pix_fmt="yuv444p", audio="pcm_s16le")
    odd_files(root / "broken")  # the 4 broken films are listed, not scored (audio_only.m4a is not a film)
    for leftover in ("whole.mkv", "whole.mp4", "truncated.mkv"):  # whole films: keep the scored set small
        (root / "broken" / leftover).unlink()
    return root


def flickering(model):
    """``model`` with +0.3 a added on one frame and -0.3 on the next, as a colorizer that flickers."""
    net, seen = model.forward, [0]

    def forward(L):
        signs = torch.tensor([(-1.0) ** (seen[0] + i) for i in range(len(L))]).view(-1, 1, 1, 1)
        seen[0] += len(L)
        return net(L) + 0.3 * torch.cat([signs, torch.zeros_like(signs)], dim=1)

    model.forward = forward
    return model


def test_evaluate_scores_films_with_truth_and_gray_as_the_floor(checkpoints, film_folder, tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate_module, "load_colorizer", lambda *args: flickering(load_colorizer(*args)))
    run = tmp_path / "eval"
    overrides = [f"ckpt_path={checkpoints['gan']}", "data=video", f"data.root={film_folder}", "data.image_size=null"]
    overrides += ["data.max_frames=9", "bootstrap_resamples=200"]  # each film: a cut at frame 6
    record = evaluate(compose_named("evaluate", run, overrides))
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["n_images"] == 2 and saved["unit"] == "films" and len(saved["unreadable_images"]) == 4
    rows, none, flow = saved["results"], f"{saved['model']} (temporal=none)", f"{saved['model']} (temporal=flow)"
    assert list(rows) == ["truth", "gray (ab=0)", none, flow]
    assert set(rows["truth"]) == {"warp_error", "cdc", "cdc_ab"}  # the truth has no fidelity to score
    for name in list(rows)[1:]:
        assert {"warp_error", "cdc", "cdc_ab", "delta_e2000", "psnr"} <= set(rows[name])
    assert rows["gray (ab=0)"]["cdc_ab"]["mean"] == pytest.approx(0.0, abs=1e-3)  # gray has no colour to change
    assert saved["differences"]["reference"] == none
    with open(run / "per_image.csv", newline="") as f:
        films = list(csv.DictReader(f))
    assert len(films) == 4 * 2  # one row per (row, film)
    by_row = {(r["model"], r["path"]): float(r["warp_error"]) for r in films}
    for path in {r["path"] for r in films}:  # the flicker is held back on every film
        assert by_row[(flow, path)] < 0.8 * by_row[(none, path)]
    assert "2 films" in (run / "metrics.md").read_text() and record["results"] == rows


def test_the_record_films_every_photo_of_a_split(tmp_path, monkeypatch):
    root = tmp_path / "photos"
    root.mkdir()
    for name in ("coffee", "rocket", "astronaut"):
        Image.fromarray(photo(name, 96)).save(root / f"{name}.png")
    (tmp_path / "split.json").write_text(json.dumps({"train": ["rocket.png"], "test": ["coffee.png", "astronaut.png"]}))
    args = ["--root", str(root), "--split", str(tmp_path / "split.json"), "--out", str(tmp_path / "films")]
    monkeypatch.setattr(sys, "argv", ["video_films.py", *args, "--seconds", "0.25"])
    runpy.run_path(str(ROOT / "experiments" / "video_films.py"), run_name="__main__")
    films = sorted(p.name for p in (tmp_path / "films").iterdir())
    assert films == ["00_astronaut.mp4", "01_coffee.mkv"]  # sorted, one format each
    assert VideoSet(root=str(tmp_path / "films")).films() == sorted((tmp_path / "films").iterdir())


def test_films_are_for_evaluate_only(checkpoints, tmp_path):
    from colorgan.compare import compare
    from colorgan.train import train
    from tests.conftest import compose_cfg

    with pytest.raises(ConfigError, match="data=video scores films with evaluate"):
        train(compose_cfg(tmp_path, ["data=video", f"data.root={tmp_path}"]))
    with pytest.raises(ConfigError, match="data=video scores films with evaluate"):
        compare(
            compose_named(
                "compare", tmp_path, [f"ckpts=[{checkpoints['mse_cnn']}]", "data=video", f"data.root={tmp_path}"]
            )
        )
