"""data=imagenet and the published protocols, on a fake ILSVRC2012 tree of tiny JPEGs with the real file names."""

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorgan.compare import compare
from colorgan.data import ImageNetDataModule
from colorgan.evaluate import evaluate
from colorgan.evaluation.protocols import LISTS, Protocol
from tests.conftest import run_module
from tests.test_evaluate import compose_named

CTEST10K = (LISTS / "imagenet_ctest10k.txt").read_text().split()
PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "colorwheel")
FAST = ["data=imagenet", "data.image_size=32", "data.batch_size=2", "data.num_workers=0", "lpips=false", "fid=false"]


def jpeg(path: Path, i: int) -> Path:
    """A small real colour photo (48x40, not square) saved as a JPEG at ``path``."""
    from tests.conftest import photo

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo(PHOTOS[i % len(PHOTOS)], 48)).resize((48, 40)).save(path, quality=90)
    return path


def fake_imagenet(root: Path, val_in_class_folders: bool = False) -> Path:
    """train/<wnid>/<wnid>_<n>.JPEG for 3 classes x 4; val/: the first 3 ctest10k images and val 1-2."""
    for c, wnid in enumerate(("n01440764", "n01443537", "n01484850")):
        for n in range(4):
            jpeg(root / "train" / wnid / f"{wnid}_{1000 + n}.JPEG", c + n)
    for i, name in enumerate([*CTEST10K[:3], "ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG"]):
        jpeg(root / "val" / (f"n0144376{i % 2}" if val_in_class_folders else "") / name, i)
    return root


@pytest.mark.parametrize("class_folders", [False, True])
def test_imagenet_trains_on_train_selects_on_a_slice_of_it_and_holds_out_val(tmp_path, class_folders):
    root = fake_imagenet(tmp_path / "ILSVRC2012", class_folders)
    data = ImageNetDataModule(str(root), val_fraction=0.2, num_workers=0, report_dir=None)
    data.setup()
    train, val, test = data.train_files, data.val_files, data.test_files
    assert len(train) + len(val) == 12 and val and all("train" in p.parts for p in train + val)
    assert sorted(p.name for p in test) == sorted(
        [*CTEST10K[:3], "ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG"]
    )
    assert data.split.rule == {"kind": "imagenet", "val_fraction": 0.2, "seed": 0, "test": "val/"}
    fresh = ImageNetDataModule(str(root), num_workers=0, report_dir=None)
    assert sorted(fresh.eval_files("test")) == sorted(test) and fresh.split is None  # train/ never listed


def test_a_missing_train_folder_is_named(tmp_path):
    (tmp_path / "val").mkdir()
    with pytest.raises(FileNotFoundError, match="no train/ folder"):
        ImageNetDataModule(str(tmp_path), num_workers=0).setup()


def test_the_ctest10k_list_is_the_published_one():
    assert hashlib.sha256((LISTS / "imagenet_ctest10k.txt").read_bytes()).hexdigest() == (
        "3e84359dcbf05c8ab41b1e8cfeed914792422c6f4c31fb2edef2d10d988f297e"
    )
    assert len(set(CTEST10K)) == 10000 and CTEST10K == sorted(CTEST10K)
    assert CTEST10K[0] == "ILSVRC2012_val_00025275.JPEG" and CTEST10K[-1] == "ILSVRC2012_val_00050000.JPEG"
    val5k = Protocol("val5k", first=1, last=5000).file_names()
    assert len(val5k) == 5000 and val5k[0] == "ILSVRC2012_val_00000001.JPEG" and val5k[-1].endswith("05000.JPEG")


def test_protocol_preprocessing_resizes_without_cropping_or_crops_the_centre_first():
    stripes = np.zeros((40, 120, 3), np.uint8)
    stripes[:, :40, 0], stripes[:, 40:80, 1], stripes[:, 80:, 2] = 255, 255, 255  # red | green | blue
    img = Image.fromarray(stripes)
    resized = Protocol("p", first=1, last=1, size=30).transform()(img)  # (3, 30, 30): all three stripes squeezed
    assert resized.shape == (3, 30, 30) and resized[0, :, 3].min() > 200 and resized[2, :, 27].min() > 200
    cropped = Protocol("p", first=1, last=1, size=30, crop=True).transform()(img)  # the centre 40x40: green only
    assert cropped[1].min() > 200 and cropped[0].max() < 40 and cropped[2].max() < 40


def test_evaluate_ctest10k_stops_at_the_first_missing_image(checkpoints, tmp_path):
    root = fake_imagenet(tmp_path / "ILSVRC2012")
    overrides = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={root}", "protocol=ctest10k", *FAST]
    with pytest.raises(FileNotFoundError, match=f"9997 of its 10000 images .* the first: {CTEST10K[3]}"):
        evaluate(compose_named("evaluate", tmp_path / "e", overrides))
    assert not (tmp_path / "e" / "metrics.json").exists()


def test_evaluate_ctest10k_scores_what_is_there_when_allowed_and_says_so(checkpoints, tmp_path):
    root = fake_imagenet(tmp_path / "ILSVRC2012", val_in_class_folders=True)
    overrides = [f"ckpt_path={checkpoints['zhang16']}", f"data.root={root}", "protocol=ctest10k", *FAST]
    evaluate(compose_named("evaluate", tmp_path / "e", [*overrides, "protocol_allow_missing=true"]))
    saved = json.loads((tmp_path / "e" / "metrics.json").read_text())
    assert saved["protocol"] == "ctest10k" and saved["n_images"] == 3 and saved["image_size"] == 256
    assert saved["protocol_images"] == {"listed": 10000, "scored": 3, "missing": 9997}
    assert saved["protocol_preprocessing"] == "resized to 256x256 (aspect not kept, no crop)"
    with open(tmp_path / "e" / "per_image.csv", newline="") as f:
        assert sorted({Path(r["path"]).name for r in csv.DictReader(f)}) == CTEST10K[:3]
    assert "protocol=ctest10k" in (tmp_path / "e" / "metrics.md").read_text()


def test_compare_on_val5k_with_the_centre_crop_variant(checkpoints, tmp_path):
    root = fake_imagenet(tmp_path / "ILSVRC2012")
    ckpts = f"ckpts=[{checkpoints['mse_cnn']},{checkpoints['zhang16']}]"
    overrides = [ckpts, "names=[mse,zhang]", f"data.root={root}", "protocol=val5k", "protocol.crop=true", *FAST]
    summary = compare(compose_named("compare", tmp_path, [*overrides, "protocol_allow_missing=true"]))
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["protocol"] == "val5k" and saved["protocol_images"]["scored"] == 2 and saved["n_images"] == 2
    assert saved["protocol_preprocessing"].startswith("centre square crop")
    assert set(summary.rows) == {"gray (ab=0)", "mse", "zhang"}


def test_the_cli_names_the_missing_image_in_one_line(checkpoints, tmp_path):
    root = fake_imagenet(tmp_path / "ILSVRC2012")
    out = run_module(
        "colorgan.evaluate", f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={root}", "protocol=val50k", *FAST,
        f"hydra.run.dir={tmp_path / 'e'}",
    )  # fmt: skip
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "error: protocol val50k: 49995 of its 50000 images" in out.stderr
    assert "the first: ILSVRC2012_val_00000003.JPEG" in out.stderr


def test_a_protocol_needs_imagenet(checkpoints, tmp_path):
    from colorgan.errors import ConfigError

    overrides = [f"ckpt_path={checkpoints['mse_cnn']}", "protocol=ctest10k"]
    with pytest.raises(ConfigError, match="data=imagenet data.root="):
        evaluate(compose_named("evaluate", tmp_path, overrides))
