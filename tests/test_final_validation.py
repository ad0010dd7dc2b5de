"""Every run ends measured, and checkpoints are selected by a metric an all-gray output cannot win."""

import csv
import math

import numpy as np
import torch
from PIL import Image

from colorgan.color import L_ab_to_rgb, gray_rgb, rgb_to_L_ab
from colorgan.metrics import colorization_metrics
from colorgan.train import train
from tests.conftest import FAST, compose_cfg, photo

CSV = [o for o in FAST if o != "logger=none"] + ["logger=csv", "model.pretrain_epochs=0"]


def validated_at(run) -> list[int]:
    """The global steps of the validations: one samples grid each (epochE-stepS.png)."""
    return sorted(int(p.stem.split("step")[1]) for p in (run / "samples").glob("*.png"))


def test_a_max_steps_stop_between_validations_validates_the_final_weights(tmp_path):
    run = tmp_path / "run"  # 5 photos, batch 2: 2 steps an epoch, so step 3 stops mid-epoch
    metric = train(compose_cfg(run, [*CSV, "trainer.max_steps=3"]))
    assert validated_at(run) == [2, 3]  # the epoch end, then the stop
    assert metric is not None and math.isfinite(metric) and list((run / "checkpoints").glob("best-*.ckpt"))


def test_a_max_time_budget_ends_with_a_validation_of_the_final_weights(tmp_path):
    run = tmp_path / "run"  # 100 steps an epoch: the 2 s budget runs out long before the first epoch ends
    metric = train(compose_cfg(run, [*CSV, "data.repeat=40", "trainer.max_time=00:00:00:02"]))
    steps = validated_at(run)
    assert len(steps) == 1 and 0 < steps[0] < 100 and metric is not None and math.isfinite(metric)


def test_a_run_that_ends_outside_every_validation_epoch_is_still_measured(tmp_path):
    run = tmp_path / "run"
    overrides = [*CSV, "trainer.max_epochs=2", "trainer.check_val_every_n_epoch=3"]
    metric = train(compose_cfg(run, overrides))
    assert validated_at(run) == [4] and metric is not None and list((run / "checkpoints").glob("best-*.ckpt"))


def test_selection_falls_back_to_de00_cf_without_fid_weights(tmp_path):
    cfg = compose_cfg(tmp_path / "run", [*CSV, "trainer.max_steps=1"])
    train(cfg)
    assert cfg.selection_metric == "val/de00_cf" and cfg.optimized_metric == "val/de00_cf"
    assert cfg.callbacks.best_checkpoint.monitor == "val/de00_cf"


def test_selection_uses_fid_on_the_val_split_when_the_inception_weights_load(tmp_path, monkeypatch):
    import torch_fidelity.feature_extractor_inceptionv3 as inception

    monkeypatch.setattr(inception, "load_state_dict_from_url", lambda *a, **k: {})  # random weights stand in
    monkeypatch.setattr(inception.FeatureExtractorInceptionV3, "load_state_dict", lambda self, state, **k: None)
    root = tmp_path / "photos"
    root.mkdir()
    for i in range(8):
        Image.fromarray(np.roll(photo(("chelsea", "coffee", "rocket")[i % 3], 40), 7 * i, axis=0)).save(
            root / f"{i}.png"
        )
    overrides = [*CSV, "data=folder", f"data.root={root}", "data.val_fraction=0.4", "data.test_fraction=0.1",
                 "data.decode_check=false", "selection_fid_min_images=2", "trainer.max_steps=2"]  # fmt: skip
    cfg = compose_cfg(tmp_path / "run", overrides)
    metric = train(cfg)
    assert cfg.selection_metric == "val/fid" and metric is not None and metric > 0
    with open(tmp_path / "run" / "metrics.csv", newline="") as f:
        assert any(r.get("val/fid") for r in csv.DictReader(f))


def test_gray_cannot_win_the_selection_metric_that_l1_gives_to_a_desaturated_average():
    rgb = torch.stack([torch.from_numpy(photo(n, 96)).permute(2, 0, 1) for n in ("chelsea", "coffee", "astronaut")])
    L, ab = rgb_to_L_ab(rgb)
    # 30 degrees: gamut mapping (fixed L and hue) lowers the chroma of rotated colours that leave the gamut,
    # so larger rotations also lose colourfulness (40 degrees: -11, and the candidate ties with the mean)
    angle = torch.tensor(math.radians(30))
    rotated = torch.cat(
        [ab[:, :1] * angle.cos() - ab[:, 1:] * angle.sin(), ab[:, :1] * angle.sin() + ab[:, 1:] * angle.cos()], 1
    )
    candidates = {
        "gray": gray_rgb(L),
        "mean ab": L_ab_to_rgb(L, ab.mean(dim=(2, 3), keepdim=True).expand_as(ab)),  # desaturated average
        "hue off by 30 degrees": L_ab_to_rgb(L, rotated),  # colourful, plausibly wrong
    }
    scores = {
        n: {k: v.mean().item() for k, v in colorization_metrics(c, rgb / 255.0).items()} for n, c in candidates.items()
    }
    assert min(scores, key=lambda n: scores[n]["l1_ab"]) == "mean ab"  # what the old selection rewarded
    assert max(scores, key=lambda n: scores[n]["de00_cf"]) == "gray"
    assert scores["hue off by 30 degrees"]["de00_cf"] < scores["mean ab"]["de00_cf"]
