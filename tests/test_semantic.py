"""Semantic interpretability: ImageNet labels in every accepted format, timm's preprocessing, honest skips."""

import json

import numpy as np
import pytest
import scipy.io
import timm
import torch
from PIL import Image
from timm.data import create_transform, resolve_model_data_config

from colorgan.data.images import load_rgb
from colorgan.errors import ConfigError
from colorgan.evaluate import evaluate
from colorgan.evaluation.imagenet_labels import load_labels
from colorgan.evaluation.protocols import Protocol
from colorgan.evaluation.semantic import Classifier
from tests.conftest import photo
from tests.test_evaluate import compose_named, model_row
from tests.test_imagenet import CTEST10K, FAST, fake_imagenet

WNIDS = [f"n{i:08d}" for i in range(1000)]  # stand-ins for the 1000 ILSVRC2012 WordNet ids, sorted


def val_paths(tmp_path, *numbers):
    return [tmp_path / f"ILSVRC2012_val_{n:08d}.JPEG" for n in numbers]


def test_devkit_ids_map_to_classifier_indices_through_meta_mat(tmp_path):
    # devkit id k names WNIDS[1000 - k]: the devkit's order is not the sorted-WNID order classifiers use
    synsets = np.zeros(1000, dtype=[("ILSVRC2012_ID", "O"), ("WNID", "O")])
    for k in range(1, 1001):
        synsets[k - 1] = (k, WNIDS[1000 - k])
    scipy.io.savemat(tmp_path / "meta.mat", {"synsets": synsets})
    (tmp_path / "ILSVRC2012_validation_ground_truth.txt").write_text("1\n1000\n500\n")
    files = val_paths(tmp_path, 1, 2, 3)
    labels = load_labels(str(tmp_path / "ILSVRC2012_validation_ground_truth.txt"), files)
    assert [labels[f] for f in files] == [999, 0, 500]


def test_listings_by_index_by_wnid_and_kaggles_csv(tmp_path):
    files = val_paths(tmp_path, 1, 2)
    (tmp_path / "val.txt").write_text("ILSVRC2012_val_00000001.JPEG 65\nILSVRC2012_val_00000002.JPEG 970\n")
    assert list(load_labels(str(tmp_path / "val.txt"), files).values()) == [65, 970]
    rows = [
        "ImageId,PredictionString",
        "ILSVRC2012_val_00000002,n00000007 1 2 3 4",
        "ILSVRC2012_val_00000001,n00000003 5",
    ]
    (tmp_path / "LOC_val_solution.csv").write_text("\n".join(rows) + "\n")
    for wnid in WNIDS:  # the 1000 classes come from data.root's train/ folders
        (tmp_path / "root" / "train" / wnid).mkdir(parents=True)
    labels = load_labels(str(tmp_path / "LOC_val_solution.csv"), files, tmp_path / "root")
    assert [labels[f] for f in files] == [3, 7]
    with pytest.raises(ValueError, match="names 2 ImageNet classes"):  # without all 1000 the indices are unknowable
        load_labels(str(tmp_path / "LOC_val_solution.csv"), files)
    with pytest.raises(ValueError, match="ILSVRC2012_val_00000009.JPEG"):
        load_labels(str(tmp_path / "val.txt"), val_paths(tmp_path, 1, 9))


def test_class_folders_label_by_their_wnid(tmp_path):
    root = tmp_path / "root"
    for wnid in WNIDS:
        (root / "val" / wnid).mkdir(parents=True)
    files = [root / "val" / "n00000042" / "ILSVRC2012_val_00000001.JPEG", root / "val" / "n00000999" / "x.JPEG"]
    assert list(load_labels("folders", files, root).values()) == [42, 999]


def test_the_classifier_sees_what_timms_own_transform_gives():
    model = timm.create_model("resnet10t", pretrained=False)
    classifier = Classifier(model, {}, torch.device("cpu"))
    img = Image.fromarray(photo("astronaut", 256))
    expected = create_transform(**resolve_model_data_config(model))(img)[None]
    ours = classifier.preprocess(torch.from_numpy(np.asarray(img)).permute(2, 0, 1)[None] / 255.0)
    assert ours.shape == expected.shape == (1, 3, 176, 176)
    assert (ours - expected).abs().mean() < 0.02  # PIL's and torch's bicubic differ by rounding only


@pytest.fixture
def imagenet_with_classifier(tmp_path):
    """A fake ImageNet, a random resnet10t saved as a weights file, and labels = its top class on the truth."""
    root = fake_imagenet(tmp_path / "ILSVRC2012")
    model = timm.create_model("resnet10t", pretrained=False)
    torch.save(model.state_dict(), tmp_path / "resnet10t.pth")
    classifier = Classifier(model, {}, torch.device("cpu"))
    transform = Protocol("ctest10k", list_file="imagenet_ctest10k.txt").transform()
    truth = torch.stack([transform(load_rgb(root / "val" / n)) for n in CTEST10K[:3]]) / 255.0
    with torch.no_grad():
        top = model.eval()(classifier.preprocess(truth)).argmax(dim=1).tolist()
    (tmp_path / "right.txt").write_text("".join(f"{n} {t}\n" for n, t in zip(CTEST10K, top)))
    (tmp_path / "wrong.txt").write_text("".join(f"{n} {(t + 1) % 1000}\n" for n, t in zip(CTEST10K, top)))
    return root, tmp_path


def test_top1_on_colorized_gray_and_true_images(checkpoints, imagenet_with_classifier):
    root, tmp = imagenet_with_classifier
    overrides = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={root}", "protocol=ctest10k",
                 "protocol_allow_missing=true", *FAST, "classifier=resnet10t",
                 f"classifier_weights={tmp / 'resnet10t.pth'}"]  # fmt: skip
    record = evaluate(compose_named("evaluate", tmp / "right", [*overrides, f"labels={tmp / 'right.txt'}"]))
    rows = record["results"]
    assert rows[model_row(record)]["top1_gt"]["mean"] == 1.0 == rows["gray (ab=0)"]["top1_gt"]["mean"]
    assert 0 <= rows[model_row(record)]["top1"]["mean"] <= 1 and "top1" in rows["gray (ab=0)"]
    assert "top1" not in record["skipped"]
    record = evaluate(compose_named("evaluate", tmp / "wrong", [*overrides, f"labels={tmp / 'wrong.txt'}"]))
    assert record["results"][model_row(record)]["top1_gt"]["mean"] == 0.0
    assert "top1_gt" in json.loads((tmp / "wrong" / "metrics.json").read_text())["results"]["gray (ab=0)"]


def test_without_labels_or_weights_it_is_skipped_by_name_and_bad_labels_are_an_error(
    checkpoints, imagenet_with_classifier
):
    root, tmp = imagenet_with_classifier
    base = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={root}", "protocol=ctest10k",
            "protocol_allow_missing=true", *FAST]  # fmt: skip
    record = evaluate(compose_named("evaluate", tmp / "a", base))
    assert record["skipped"]["top1"].startswith("no ImageNet labels")
    record = evaluate(compose_named("evaluate", tmp / "b", [*base, f"labels={tmp / 'right.txt'}"]))  # offline vgg16
    assert record["skipped"]["top1"].startswith("classifier weights unavailable")
    assert "top1" not in record["results"][model_row(record)]
    (tmp / "short.txt").write_text(f"{CTEST10K[0]} 3\n")
    with pytest.raises(ConfigError, match="2 of 3 images have no label"):
        evaluate(compose_named("evaluate", tmp / "c", [*base, f"labels={tmp / 'short.txt'}"]))
