"""pix2pix infers as Isola et al. do: test-batch statistics and dropout on, a property its checkpoint carries."""

import torch

from colorgan.models.build import build_model
from colorgan.train import train
from colorgan.training.checkpoint import load_colorizer
from tests.conftest import FAST, compose_cfg

ISOLA = ["experiment=pix2pix_isola", "model.generator.num_downs=6"]


def colorize(model, L, seed=0):
    torch.manual_seed(seed)  # the same dropout masks for the same shapes
    with torch.no_grad():
        return model(L)


def test_pix2pix_isola_normalizes_with_test_batch_statistics_and_keeps_dropout(tmp_path, photo_batch):
    model = build_model(compose_cfg(tmp_path, ISOLA).model).eval()
    L = model.split_batch(photo_batch)[0]  # 4 real photos
    bn = next(m for m in model.generator.modules() if isinstance(m, torch.nn.BatchNorm2d))
    bn.running_mean.fill_(3.0)  # running statistics a paper-faithful inference must not use...
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    alone = colorize(model, L[:2])[0]
    # the paper's test.py has batch 1: each photo is normalized by its own statistics, whatever else is in the batch
    assert torch.allclose(alone, colorize(model, torch.cat([L[:1], L[2:3]]))[0], atol=1e-6)
    assert not torch.allclose(alone, colorize(model, L[:2], seed=1)[0])  # dropout is on at test time
    model.inference_batch = None  # statistics over the whole test batch: the companions change the output
    assert not torch.allclose(colorize(model, L[:2])[0], colorize(model, torch.cat([L[:1], L[2:3]]))[0], atol=1e-4)
    model.inference_norm = "running"  # the usual eval mode uses the running statistics instead
    assert not torch.allclose(alone, colorize(model, L[:2])[0], atol=1e-3)
    after = model.generator.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # ...and must leave untouched
    assert not model.generator.training and not bn.training


def test_the_inference_mode_travels_in_the_checkpoint(tmp_path):
    run = tmp_path / "run"
    train(compose_cfg(run, [*ISOLA, *FAST, "data.batch_size=2", "trainer.max_steps=1", "trainer.limit_val_batches=1"]))
    model = load_colorizer(run / "checkpoints" / "last.ckpt")
    assert (model.inference_norm, model.inference_batch) == ("batch", 1)
