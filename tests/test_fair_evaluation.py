"""What a table must get right to be beyond a reviewer's reproach: a new folder is scored whole, every net runs
at the evaluation size, grayscale photos are counted, Wallner's input scale, and each row says what it is."""

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

import colorgan.evaluation.scoring
from colorgan.compare import compare
from colorgan.evaluate import evaluate
from colorgan.evaluation.rows import L1_ONLY, marks
from colorgan.models.build import build_model
from colorgan.models.nets import PlainCNN
from colorgan.training.checkpoint import load_colorizer
from tests.conftest import compose_cfg
from tests.test_evaluate import FAST_EVAL, compose_named, photo_folder  # noqa: F401 - a fixture
from tests.test_gan_module import fit, make_gan
from tests.test_imagenet import FAST as IMAGENET
from tests.test_imagenet import fake_imagenet


def test_evaluate_scores_every_photo_of_a_folder_the_checkpoint_never_saw(checkpoints, photo_folder, tmp_path):  # noqa: F811
    overrides = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={photo_folder}", *FAST_EVAL, "fid=false"]
    record = evaluate(compose_named("evaluate", tmp_path, overrides))  # split=auto, the default
    assert record["n_images"] == 5 and record["split"] == "all" and record["warnings"] == []
    assert "every photo" in record["split_reason"] and "every photo" in (tmp_path / "metrics.md").read_text()


def test_evaluate_is_compare_with_one_checkpoint(checkpoints, photo_folder, tmp_path):  # noqa: F811
    base = [f"data.root={photo_folder}", "split=all", *FAST_EVAL, "fid=false", "bootstrap_resamples=200"]
    record = evaluate(compose_named("evaluate", tmp_path / "e", [f"ckpt_path={checkpoints['gan']}", *base]))
    compare(compose_named("compare", tmp_path / "c", [f"ckpts=[{checkpoints['gan']}]", *base]))
    compared = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert record["results"] == compared["results"] and record["rows"] == compared["rows"]
    assert {p.name for p in (tmp_path / "e").iterdir()} >= {"metrics.json", "metrics.md", "metrics_grid.png",
                                                              "per_image.csv"}  # fmt: skip


def test_every_net_runs_at_the_evaluation_size_and_the_record_says_so(checkpoints, photo_folder, tmp_path, monkeypatch):  # noqa: F811
    seen: dict[str, tuple] = {}
    real = colorgan.evaluation.scoring.predict_ab

    def predict_ab(model, L, working_size=None):  # what each net's first layer receives
        name = type(model.generator).__name__
        handle = model.generator.register_forward_pre_hook(lambda m, a: seen.setdefault(name, a[0].shape[-2:]))
        try:
            return real(model, L, working_size)
        finally:
            handle.remove()

    monkeypatch.setattr(colorgan.evaluation.scoring, "predict_ab", predict_ab)
    ckpts = f"ckpts=[{checkpoints['zhang16']},{checkpoints['fusion']}]"  # both trained on 64 px crops
    overrides = [ckpts, "names=[zhang,fusion]", f"data.root={photo_folder}", "split=all", *FAST_EVAL, "fid=false",
                 "eval_size=96", "bootstrap_resamples=200"]  # fmt: skip
    compare(compose_named("compare", tmp_path, overrides))
    assert seen == {"Zhang16Net": (96, 96), "FusionNet": (96, 96)}  # not their 64 px working size, upsampled
    rows = json.loads((tmp_path / "metrics.json").read_text())["rows"]
    assert rows["zhang"]["checkpoints"][0]["net_input"] == {"net": [96, 96]}
    assert rows["fusion"]["checkpoints"][0]["net_input"] == {"net": [96, 96], "classifier": [224, 224]}


@pytest.fixture
def imagenet_with_a_gray_photo(tmp_path):
    root = fake_imagenet(tmp_path / "ILSVRC2012")
    gray = root / "val" / "ILSVRC2012_val_00000002.JPEG"
    Image.open(gray).convert("L").save(gray)  # ImageNet's val set holds such JPEGs
    return root


def test_grayscale_photos_of_a_protocol_are_counted_and_left_out_on_request(checkpoints, imagenet_with_a_gray_photo,
                                                                            tmp_path):  # fmt: skip
    base = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={imagenet_with_a_gray_photo}", "protocol=val5k",
            "protocol_allow_missing=true", *IMAGENET, "bootstrap_resamples=200"]  # fmt: skip
    record = evaluate(compose_named("evaluate", tmp_path / "kept", base))  # val5k: as its publications, all scored
    assert record["n_images"] == 2 and record["grayscale_images"]["scored"] == 1
    assert record["protocol_exclude_grayscale"] is False
    assert "grayscale photos (no colour in the truth): 1, scored" in (tmp_path / "kept" / "metrics.md").read_text()
    record = evaluate(compose_named("evaluate", tmp_path / "out", [*base, "protocol_exclude_grayscale=true"]))
    assert record["n_images"] == 1 and record["grayscale_images"]["excluded"] == 1
    assert Path(record["grayscale_images"]["paths"][0]).name == "ILSVRC2012_val_00000002.JPEG"


def test_wallner_beta_feeds_lightness_as_the_article_does(tmp_path):
    net = build_model(compose_cfg(tmp_path, ["experiment=wallner_beta"]).model).generator
    assert isinstance(net, PlainCNN) and net.lightness == "lab"
    seen = []
    net.net[0].register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    L = torch.linspace(-1, 1, 64).view(1, 1, 8, 8)
    net(L)
    torch.testing.assert_close(seen[0], (L + 1) * 50)  # L* in 0..100, as Beta-version feeds Keras
    assert PlainCNN().lightness == "normalized"


def test_a_gan_counts_its_updates_in_the_gan_phase(photo_batch):
    model = make_gan(pretrain_epochs=1)
    fit(model, photo_batch, steps=1, steps_per_epoch=1)  # epoch 0: L1 pretraining only
    checkpoint = {}
    model.on_save_checkpoint(checkpoint)
    assert model.gan_steps == 0 and checkpoint["colorgan_meta"]["gan_phase"] == {"pretrain_epochs": 1, "gan_steps": 0}
    model = make_gan(pretrain_epochs=1)
    fit(model, photo_batch, steps=3, steps_per_epoch=1)  # epochs 1 and 2 are GAN epochs
    assert model.gan_steps == 2


def test_a_row_that_is_not_its_papers_model_is_marked():
    l1 = {"gan_phase": L1_ONLY, "pretrained": {"resnet18 encoder": "random init"}}
    gan = {"gan_phase": "GAN phase reached (5 updates)", "pretrained": {"resnet18 encoder": "ImageNet weights (hub)"}}
    assert marks([l1, l1]) == [L1_ONLY, "resnet18 encoder: random init"]
    assert marks([l1, gan]) == [f"{L1_ONLY} (1 of 2 seeds)", "resnet18 encoder: random init (1 of 2 seeds)"]
    assert marks([gan]) == []


def test_the_table_says_what_each_checkpoint_is(checkpoints, photo_folder, tmp_path):  # noqa: F811
    best = next(checkpoints["mse_cnn"].parent.glob("best-*.ckpt"))
    ckpts = f"ckpts=[{checkpoints['gan']},{checkpoints['fusion']},{best}]"
    overrides = [ckpts, "names=[gan,fusion,mse]", f"data.root={photo_folder}", "split=all", *FAST_EVAL, "fid=false",
                 "bootstrap_resamples=200"]  # fmt: skip
    compare(compose_named("compare", tmp_path, overrides))
    table = (tmp_path / "metrics.md").read_text()
    assert "| gan ⚠ resnet18 encoder: random init |" in table  # in the table itself, not only in a note
    assert "| fusion ⚠ resnet18 classifier: random init |" in table and "| mse |" in table
    rows = json.loads((tmp_path / "metrics.json").read_text())["rows"]
    gan, mse = rows["gan"]["checkpoints"][0], rows["mse"]["checkpoints"][0]
    assert (gan["steps"], gan["epochs"], gan["selection"], gan["precision"]) == (1, 0, "last", "32-true")
    assert gan["gan_phase"] == "GAN phase reached (1 updates)" and mse["gan_phase"] is None
    assert mse["selection"].startswith("best by val/de00_cf")
    assert load_colorizer(best).meta["checkpoint"]["selection"] == mse["selection"]
