"""Learning curves: RUN/curves.png from the run's own metrics.csv, and compare curves=true overlaying runs."""

import json

import numpy as np
import pytest
from PIL import Image

from colorgan.compare import compare
from colorgan.training.curves import COLUMNS, panel_keys, plot_curves, read_metrics, run_metrics_file
from tests.test_evaluate import compose_named

CSV = """epoch,step,train/loss,val/psnr,val/colorfulness,val/colorfulness_gt,val/unreadable_images
0,9,0.5,,,,
0,19,0.25,,,,
0,19,,18.5,20.0,47.5,0.0
1,29,nan,,,,
1,39,0.125,,,,
1,39,,19.0,30.0,47.5,0.0
"""


def test_read_metrics_takes_each_column_by_step_and_skips_blank_and_nonfinite_cells(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(CSV)
    series = read_metrics(path)
    assert series["train/loss"] == ([9.0, 19.0, 39.0], [0.5, 0.25, 0.125])  # the NaN at step 29 is left out
    assert series["val/psnr"] == ([19.0, 39.0], [18.5, 19.0])
    assert "epoch" not in series and "step" not in series


def test_panels_are_train_then_val_without_the_truth_reference_and_empty_counters(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(CSV)
    keys = panel_keys({"run": read_metrics(path)})
    assert keys == ["train/loss", "val/psnr", "val/colorfulness"]  # colorfulness_gt: its dashed line


def test_plot_curves_draws_one_panel_per_metric(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(CSV)
    runs = {"a": read_metrics(path), "b": read_metrics(path)}
    out = plot_curves(runs, tmp_path / "curves.png")
    width, height = Image.open(out).size
    assert width > 2 * height  # one row of COLUMNS panels (3 metrics), plus the legend
    assert len(panel_keys(runs)) <= COLUMNS
    with pytest.raises(ValueError, match="no metric"):
        plot_curves({"empty": {}}, tmp_path / "none.png")


def test_every_training_run_writes_its_curves(ambiguous_runs):
    for run in ambiguous_runs:
        image = np.asarray(Image.open(run / "curves.png").convert("L"))
        assert image.shape[0] > 100 and image.std() > 10  # drawn, not blank
        assert run_metrics_file(run / "checkpoints" / "last.ckpt") == run / "metrics.csv"


def test_compare_overlays_the_runs_curves_and_names_runs_without_a_metrics_file(ambiguous_runs, checkpoints, tmp_path):
    ckpts = [run / "checkpoints" / "last.ckpt" for run in ambiguous_runs] + [checkpoints["mse_cnn"]]  # logger=none
    overrides = [f"ckpts=[{','.join(map(str, ckpts))}]", "names=[mse,mse,no_csv]", "curves=true", "data=ambiguous"]
    overrides += ["data.test_size=4", "data.image_size=32", "data.num_workers=0", "lpips=false", "fid=false"]
    compare(compose_named("compare", tmp_path, overrides))
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["curves"] == str(tmp_path / "curves.png") and (tmp_path / "curves.png").is_file()
    assert any(w.startswith("curves: no_csv") for w in saved["warnings"])
    assert saved["results"]["mse"]["mode_hit"]["n_seeds"] == 2  # and data=ambiguous's metrics, seeds merged


def test_the_legend_names_every_run_even_one_missing_from_the_first_panel(tmp_path, monkeypatch):
    """A GAN's loss panels come first and a regressor has none of them: the legend still names both runs."""
    from matplotlib.figure import Figure

    gan = {"train/g_l1": ([1.0, 2.0], [0.2, 0.1]), "val/psnr": ([2.0], [18.0])}
    mse = {"train/loss": ([1.0, 2.0], [0.05, 0.01]), "val/psnr": ([2.0], [18.5])}
    drawn = []
    legend = Figure.legend
    monkeypatch.setattr(Figure, "legend", lambda fig, handles, labels, **kw: drawn.append(list(labels)) or legend(
        fig, handles, labels, **kw))  # fmt: skip
    plot_curves({"gan": gan, "mse_cnn": mse}, tmp_path / "curves.png")
    assert drawn == [["gan", "mse_cnn"]]
