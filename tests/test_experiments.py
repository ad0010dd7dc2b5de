"""Every paper experiment composes, says what the paper says, and trains."""

from functools import partial

import pytest
import torch

from colorgan.models.build import build_model
from colorgan.models.schedules import linear_decay
from colorgan.train import train
from tests.conftest import CONF_DIR, FAST, compose_cfg
from tests.test_gan_module import fit, make_gan

EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
# What a fast CPU test must change: no weight downloads, sizes a tiny net can take.
OFFLINE = {
    "wallner_beta": [],
    "koalarization": ["model.generator.classifier_pretrained=false", "model.generator.classifier=resnet18"],
    "pix2pix_isola": ["model.generator.num_downs=6"],
    "unet_gan": ["model.generator.pretrained=false", "model.pretrain_epochs=0"],
    "zhang_eccv16": ["model.generator.base_channels=8"],
    "laptop": [],
    "laptop_mse": [],
}


def test_the_paper_experiments_exist():  # and the laptop recipes
    assert EXPERIMENTS == sorted(OFFLINE)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_trains_with_fast_dev_run(tmp_path, experiment):
    cfg = compose_cfg(tmp_path, [f"experiment={experiment}", *FAST, *OFFLINE[experiment], "trainer.fast_dev_run=true"])
    assert experiment in cfg.tags
    train(cfg)


@pytest.mark.parametrize(
    "experiment, expected",
    [
        ("wallner_beta", {"model.ab_scale": 128.0, "model.optimizer._target_": "torch.optim.RMSprop",
                          "model.loss": "mse"}),
        ("koalarization", {"model.ab_scale": 127.0, "model.generator.classifier": "inception_resnet_v2",
                           "model.generator.classifier_logits": True, "data.image_size": 224,
                           "model.generator.decoder": [[128], [64, 64], [32]], "data.batch_size": 100}),
        ("pix2pix_isola", {"model.lambda_l1": 100.0, "model.generator.num_downs": 8, "data.batch_size": 4,
                           "trainer.max_epochs": 6, "data.geometry": "squash", "model.inference_norm": "batch",
                           "model.inference_batch": 1}),
        ("unet_gan", {"model.generator.backbone": "resnet18", "model.generator.pretrained": True,
                      "model.pretrain_epochs": 20, "model.pretrain_lr": 1e-4, "model.optimizer_g.lr": 2e-4}),
        ("zhang_eccv16", {"model.optimizer.lr": 3e-5, "model.optimizer.betas": [0.9, 0.99],
                          "model.optimizer.weight_decay": 1e-3, "model.scheduler.milestones": [200000, 375000],
                          "model.scheduler.rates": [1e-5, 3e-6], "model.temperature": 0.38, "data.image_size": 176,
                          "data.batch_size": 40, "trainer.max_steps": 450000}),
    ],
)  # fmt: skip
def test_experiments_carry_their_papers_settings(tmp_path, experiment, expected):
    from omegaconf import OmegaConf

    cfg = compose_cfg(tmp_path, [f"experiment={experiment}"])
    for key, value in expected.items():
        assert OmegaConf.select(cfg, key) == value, key


def test_koalarization_fuses_the_class_logits(tmp_path):
    cfg = compose_cfg(tmp_path, ["experiment=koalarization", *OFFLINE["koalarization"]])
    net = build_model(cfg.model).generator
    assert net.embed(torch.zeros(1, 1, 32, 32)).shape == (1, 1000)


def test_linear_decay_is_pix2pix_schedule():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = linear_decay(opt, constant_epochs=3, decay_epochs=3)
    rates = []
    for _ in range(6):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step()
    assert rates == pytest.approx([1.0, 1.0, 1.0, 0.75, 0.5, 0.25])


def test_pretrain_lr_applies_only_while_pretraining(photo_batch):
    model = make_gan(lr_g=2e-4, pretrain_epochs=1)
    model.pretrain_lr = 1e-4
    seen = []
    model.on_train_batch_start = lambda batch, i: seen.append(model.optimizers()[0].param_groups[0]["lr"])
    fit(model, photo_batch, steps=2, steps_per_epoch=1)
    assert seen == pytest.approx([1e-4, 2e-4])


def test_pretrain_lr_hands_over_to_the_gan_schedule_without_resetting_it(photo_batch):
    model = make_gan(lr_g=2e-4, pretrain_epochs=1)
    model.pretrain_lr = 1e-4
    model.scheduler_g = partial(linear_decay, constant_epochs=1, decay_epochs=4)
    seen = []
    model.on_train_batch_start = lambda batch, i: seen.append(model.optimizers()[0].param_groups[0]["lr"])
    fit(model, photo_batch, steps=4, steps_per_epoch=1)
    # pretraining at 1e-4, then the GAN schedule from its own start: 1 constant epoch, then decay (not reset)
    assert seen == pytest.approx([1e-4, 2e-4, 2e-4 * 4 / 5, 2e-4 * 3 / 5])  # pix2pix's 1 - k / (decay + 1)


def test_koalarization_decoder_is_the_papers_table(tmp_path):
    net = build_model(compose_cfg(tmp_path, ["model=fusion", *OFFLINE["koalarization"]]).model).generator
    layers = [type(m).__name__ if not isinstance(m, torch.nn.Conv2d) else m.out_channels for m in net.decoder]
    layers = [x for x in layers if x not in ("ReLU",)]
    # Baldassarre et al. 2017, Table 1: conv128, up, conv64, conv64, up, conv32, conv2 (tanh), up (in forward)
    assert layers == [128, "Upsample", 64, 64, "Upsample", 32, 2, "Tanh"]
    assert net(torch.zeros(1, 1, 32, 48)).shape == (1, 2, 32, 48)


def test_unknown_experiment_is_a_clear_error(tmp_path):
    from hydra.errors import MissingConfigException

    with pytest.raises(MissingConfigException, match="nope"):
        compose_cfg(tmp_path, ["experiment=nope"])


def test_the_laptop_recipes_share_data_schedule_and_budget_and_differ_in_the_model(tmp_path):
    """experiment=laptop (the GAN) and experiment=laptop_mse (the MSE baseline) are one recipe: the same crops,
    batches, weight averaging and one-hour budget; only the model and its optimizer differ."""
    gan, mse = (compose_cfg(tmp_path, [f"experiment={name}"]) for name in ("laptop", "laptop_mse"))
    assert gan.model._target_.endswith("GANColorizer") and mse.model._target_.endswith("RegressionColorizer")
    assert gan.data == mse.data and gan.trainer == mse.trainer and gan.callbacks == mse.callbacks
    assert gan.trainer.max_time == "00:01:00:00" and gan.callbacks.ema.decay > 0
