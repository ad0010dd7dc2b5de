"""What a table must get right to be beyond a reviewer's reproach: a new folder is scored whole, every net runs
at the evaluation size, grayscale photos are counted, Wallner's input scale, and each row says what it is."""

import json
from functools import partial
from pathlib import Path

import pytest
import torch
from PIL import Image

import colorgan.evaluation.scoring
from colorgan.compare import compare
from colorgan.evaluate import evaluate
from colorgan.evaluation.rows import L1_ONLY, checkpoint_entry, marks
from colorgan.evaluation.scoring import Evaluation
from colorgan.models.build import build_model
from colorgan.models.colorizer import Colorizer
from colorgan.models.gan_module import GANColorizer
from colorgan.models.nets import PatchGAN, PlainCNN
from colorgan.training.checkpoint import load_colorizer
from tests.conftest import compose_cfg, photo
from tests.test_evaluate import FAST_EVAL, compose_named, photo_folder  # noqa: F401 - a fixture
from tests.test_gan_module import fit
from tests.test_imagenet import FAST as IMAGENET
from tests.test_imagenet import fake_imagenet


def test_evaluate_scores_every_photo_of_a_folder_the_checkpoint_never_saw(checkpoints, photo_folder, tmp_path):  # noqa: F811
    overrides = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={photo_folder}", *FAST_EVAL, "fid=false"]
    record = evaluate(compose_named("evaluate", tmp_path, overrides))  # split=auto, the default
    assert record["n_images"] == 5 and record["split"] == "all" and record["warnings"] == []
    assert "every photo" in record["split_reason"] and "every photo" in (tmp_path / "metrics.md").read_text()


def test_evaluate_is_compare_with_one_checkpoint(checkpoints, photo_folder, tmp_path):  # noqa: F811
    base = [f"data.root={photo_folder}", "split=all", *FAST_EVAL, "fid=false", "bootstrap_resamples=200"]
    record = evaluate(compose_named("evaluate", tmp_path / "e", [f"ckpt_path={checkpoints['mse_cnn']}", *base]))
    compare(compose_named("compare", tmp_path / "c", [f"ckpts=[{checkpoints['mse_cnn']}]", *base]))
    compared = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert record["results"] == compared["results"] and record["rows"] == compared["rows"]
    assert {p.name for p in (tmp_path / "e").iterdir()} >= {"metrics.json", "metrics.md", "metrics_grid.png",
                                                              "per_image.csv"}  # fmt: skip


@pytest.fixture(scope="module")
def three_rows(checkpoints, tmp_path_factory):
    """gan, fusion and zhang16 (all trained on 64 px crops) compared at 72 px, and what each net received."""
    root, run = tmp_path_factory.mktemp("photos"), tmp_path_factory.mktemp("compare")
    for name in ("chelsea", "coffee", "rocket"):
        Image.fromarray(photo(name, 80)).save(root / f"{name}.png")
    seen: dict[str, tuple] = {}
    real = colorgan.evaluation.scoring.predict_ab

    def predict_ab(model, L, working_size=None):  # what each net receives
        name = type(model.generator).__name__

        def record(module, args) -> None:
            seen.setdefault(name, tuple(args[0].shape[-2:]))

        handle = model.generator.register_forward_pre_hook(record)
        try:
            return real(model, L, working_size)
        finally:
            handle.remove()

    ckpts = f"ckpts=[{checkpoints['gan']},{checkpoints['fusion']},{checkpoints['zhang16']}]"
    overrides = [ckpts, "names=[gan,fusion,zhang]", f"data.root={root}", "split=all", *FAST_EVAL, "fid=false",
                 "eval_size=72", "bootstrap_resamples=200"]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(colorgan.evaluation.scoring, "predict_ab", predict_ab)
        compare(compose_named("compare", run, overrides))
    return run, seen


def test_every_net_runs_at_the_evaluation_size_and_the_record_says_so(three_rows):
    run, seen = three_rows
    assert seen == {"ResNetUNet": (72, 72), "FusionNet": (72, 72), "Zhang16Net": (72, 72)}  # not 64, upsampled
    rows = json.loads((run / "metrics.json").read_text())["rows"]
    assert rows["zhang"]["checkpoints"][0]["net_input"] == {"net": [72, 72]}
    assert rows["fusion"]["checkpoints"][0]["net_input"] == {"net": [72, 72], "classifier": [224, 224]}


@pytest.fixture
def imagenet_with_a_gray_photo(tmp_path):
    root = fake_imagenet(tmp_path / "ILSVRC2012")
    gray = root / "val" / "ILSVRC2012_val_00000002.JPEG"
    Image.open(gray).convert("L").save(gray)  # ImageNet's val set holds such JPEGs
    return root


def test_grayscale_photos_of_a_protocol_are_counted_and_left_out_on_request(checkpoints, imagenet_with_a_gray_photo,
                                                                            tmp_path):  # fmt: skip
    base = [f"ckpt_path={checkpoints['mse_cnn']}", f"data.root={imagenet_with_a_gray_photo}", "protocol=val5k",
            "protocol_allow_missing=true", "protocol.size=48", *IMAGENET, "bootstrap_resamples=200"]  # fmt: skip
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


def tiny_gan(pretrain_epochs: int) -> GANColorizer:
    small = {"encoder_widths": (8, 8), "middle_widths": (8,), "decoder_widths": (8,)}
    return GANColorizer(PlainCNN(**small), PatchGAN(ndf=8, n_layers=1), partial(torch.optim.Adam, lr=1e-4),
                        partial(torch.optim.Adam, lr=1e-4), pretrain_epochs=pretrain_epochs)  # fmt: skip


def test_a_gan_counts_its_updates_in_the_gan_phase(photo_batch):
    torch.manual_seed(0)
    model = tiny_gan(pretrain_epochs=1)
    counted, saved = [], []

    def after_batch(outputs, batch, batch_idx) -> None:
        counted.append(model.gan_steps)
        checkpoint = {}
        model.on_save_checkpoint(checkpoint)
        saved.append(checkpoint["colorgan_meta"]["gan_phase"])

    model.on_train_batch_end = after_batch
    fit(model, photo_batch, steps=3, steps_per_epoch=1)  # epoch 0: L1 pretraining; epochs 1 and 2: the GAN
    assert counted == [0, 1, 2]
    assert saved[0] == {"pretrain_epochs": 1, "gan_steps": 0} and saved[-1]["gan_steps"] == 2


def test_an_older_gan_checkpoint_is_judged_by_the_epoch_it_was_saved_in():
    evaluation = Evaluation({}, [], {}, {}, None)
    model = Colorizer(PlainCNN())  # as load_colorizer rebuilds a GAN: its stored config names its discriminator
    model.model_config = {"discriminator": {"_target_": "colorgan.models.nets.PatchGAN"}, "pretrain_epochs": 20}
    model.meta["checkpoint"] = {"epoch": 10}  # no gan_phase in its meta: saved before it was recorded
    assert checkpoint_entry("g", model, Path("g.ckpt"), evaluation)["gan_phase"] == L1_ONLY
    model.meta["checkpoint"] = {"epoch": 25}
    assert checkpoint_entry("g", model, Path("g.ckpt"), evaluation)["gan_phase"].startswith("not recorded")
    model.model_config = {"loss": "mse"}  # a regression model has no GAN phase to report
    assert checkpoint_entry("g", model, Path("g.ckpt"), evaluation)["gan_phase"] is None


def test_a_row_that_is_not_its_papers_model_is_marked():
    l1 = {"gan_phase": L1_ONLY, "pretrained": {"resnet18 encoder": "random init"}}
    gan = {"gan_phase": "GAN phase reached (5 updates)", "pretrained": {"resnet18 encoder": "ImageNet weights (hub)"}}
    assert marks([l1, l1]) == [L1_ONLY, "resnet18 encoder: random init"]
    assert marks([l1, gan]) == [f"{L1_ONLY} (1 of 2 seeds)", "resnet18 encoder: random init (1 of 2 seeds)"]
    assert marks([gan]) == []


def test_the_table_says_what_each_checkpoint_is(three_rows, checkpoints):
    run, _ = three_rows
    table = (run / "metrics.md").read_text()
    assert "| gan ⚠ resnet18 encoder: random init |" in table  # in the table itself, not only in a note
    assert "| fusion ⚠ resnet18 classifier: random init |" in table and "| zhang |" in table
    rows = json.loads((run / "metrics.json").read_text())["rows"]
    gan, zhang = rows["gan"]["checkpoints"][0], rows["zhang"]["checkpoints"][0]
    assert (gan["steps"], gan["epochs"], gan["selection"], gan["precision"]) == (1, 0, "last", "32-true")
    assert gan["gan_phase"] == "GAN phase reached (1 updates)" and zhang["gan_phase"] is None
    assert gan["trained_geometry"]["kind"] == "crop" and "| 1 x last | 1 | 0 |" in table
    best = next(checkpoints["mse_cnn"].parent.glob("best-*.ckpt"))
    assert load_colorizer(best).meta["checkpoint"]["selection"].startswith("best by val/de00_cf (")
