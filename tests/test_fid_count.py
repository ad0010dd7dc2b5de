"""FID on fewer images than its 2048 feature dimensions is biased: the count goes beside it, with a warning."""

from __future__ import annotations

import json
import logging

import torch
from torchmetrics import MeanMetric

import colorgan.evaluation.scoring
from colorgan.evaluate import evaluate
from colorgan.evaluation.perceptual import FID_FEATURES, fid_sample_warning
from tests.test_evaluate import FAST_EVAL, compose_named, photo_folder  # noqa: F401 - a fixture


def test_the_warning_starts_below_the_feature_dimension(caplog):
    assert FID_FEATURES == 2048  # torchmetrics' FrechetInceptionDistance(feature=2048): Inception pool3
    with caplog.at_level(logging.WARNING):
        assert fid_sample_warning(2048) is None and fid_sample_warning(50_000) is None
        assert not caplog.records
        note = fid_sample_warning(2047)
    assert "2047 images" in note and "not with published ones" in note and "2047 images" in caplog.text


def stand_in_fid(fid, fid_weights, lpips, lpips_net):
    """A metric in FID's place (its weights cannot be downloaded here): the mean of the predictions."""

    def update(metric, rgb_hat, rgb):
        metric.update(rgb_hat.mean())

    return {"fid": (MeanMetric, update)}, {"lpips": "disabled (lpips=false)"}


def test_evaluate_reports_the_image_count_beside_fid_and_warns(checkpoints, photo_folder, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(colorgan.evaluation.scoring, "perceptual_metrics", stand_in_fid)
    run = tmp_path / "eval"
    overrides = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={photo_folder}", "split=all", *FAST_EVAL]
    evaluate(compose_named("evaluate", run, overrides))
    saved = json.loads((run / "metrics.json").read_text())
    for row in saved["results"].values():  # the model and the gray baseline
        assert torch.isfinite(torch.tensor(row["fid"]["mean"])) and row["fid"]["n_images"] == 5
    assert any("FID on 5 images, fewer than its 2048" in w for w in saved["warnings"])
    table = (run / "metrics.md").read_text()
    assert "(n=5)" in table and "- warning: FID on 5 images" in table
