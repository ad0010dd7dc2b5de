"""The fast paths stay correct: draft decoding, bf16 + channels_last training, the benchmark command."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from colorgan.benchmark import main as benchmark_main
from colorgan.benchmarks.models import benchmark_model
from colorgan.benchmarks.train_step import SameBatch
from colorgan.data.images import load_rgb
from colorgan.train import train
from colorgan.training.checkpoint import load_colorizer
from tests.conftest import FAST, compose_cfg, photo
from tests.test_gan_module import d_view, fit, make_gan


@pytest.fixture
def big_jpeg(tmp_path):
    path = tmp_path / "big.jpg"
    Image.fromarray(photo("astronaut")).resize((2400, 1600), Image.BICUBIC).save(path, quality=92)
    return path


def test_draft_decoding_keeps_at_least_the_pixels_asked_for(big_jpeg):
    full = load_rgb(big_jpeg)
    small = load_rgb(big_jpeg, min_side=300)
    assert full.size == (2400, 1600)
    assert min(small.size) >= 300 and small.size[0] < 2400  # decoded at 1/2, 1/4 or 1/8
    # same picture: the reduced decode matches the full decode resized
    ref = np.asarray(full.resize(small.size, Image.BILINEAR)).astype(float)
    assert np.abs(np.asarray(small).astype(float) - ref).mean() < 6


def test_draft_is_not_used_when_the_crop_needs_the_full_size(big_jpeg):
    assert load_rgb(big_jpeg, min_side=1000).size == (2400, 1600)


@pytest.mark.slow  # kept out of the default run (suite time); run with -m slow
def test_gan_in_bf16_with_channels_last_still_learns(photo_batch):
    """D separates real from fake and G's L1 drops, in bf16 autocast with NHWC tensors."""
    model = make_gan(lr_g=0.0)
    model.channels_last = True
    _, real0, fake0, _ = d_view(model, photo_batch)
    import pytorch_lightning as pl
    from torch.utils.data import DataLoader

    trainer = pl.Trainer(accelerator="cpu", precision="bf16-mixed", max_steps=8, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         limit_val_batches=0)  # fmt: skip
    trainer.fit(model, DataLoader(SameBatch(photo_batch, 8), batch_size=None))
    assert model.generator.encoder.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    _, real1, fake1, _ = d_view(model, photo_batch)
    assert real1 - fake1 > real0 - fake0 + 0.01
    assert all(torch.isfinite(p).all() for p in model.parameters())

    model = make_gan(lr_g=1e-3, lambda_l1=100.0)
    model.channels_last = True
    L, ab, _ = model.split_batch(photo_batch)
    with torch.no_grad():
        before = (model.generator(L) - ab).abs().mean().item()
    fit(model, photo_batch, steps=10)
    with torch.no_grad():
        assert (model.generator.eval()(L) - ab).abs().mean().item() < before


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_benchmark_data_measures_streaming_folder_and_classic_in_one_run(tmp_path, big_jpeg, capsys):
    for i in range(3):
        Image.open(big_jpeg).save(tmp_path / f"p{i}.jpg")
    benchmark_main(["data", "--images", str(tmp_path), "--size", "64", "--batch", "2", "--workers", "0",
                    "--batches", "2", "--source", "streaming", "--index-cache", "none"])  # fmt: skip
    output = capsys.readouterr().out
    record = json.loads(output.strip().splitlines()[-1])
    assert record["images_per_s"] > 0 and record["baseline_images_per_s"] > 0 and record["command"] == "data"
    assert "colorgan streaming" in output and "colorgan folder" in output and record["files"] == 4
    decode = record["stages"]["decode (at the scale its crop needs)"]  # beside Pillow's own decode at that scale
    assert decode["s"] > 0 and decode["floor_s"] > 0 and record["decode_bound_ratio"] > 0
    assert record["cpu_share_with_gpu_images_per_s"] > 0  # the workers alone, as on a GPU machine


def test_benchmark_train_defaults_to_trainings_choice_and_measures_every_setting(capsys):
    """The default row uses trainer.precision=auto's choice (the same cache training reads), every
    explicit setting is measured beside it, and the step is set against the machine's matmul rate."""
    from colorgan.training.precision_probe import cpu_precision

    benchmark_main(["train", "--model", "mse_cnn", "--size", "32", "--batch", "2", "--steps", "2"])
    output = capsys.readouterr().out
    record = json.loads(output.strip().splitlines()[-1])
    module = benchmark_model("mse_cnn", 32)
    module.channels_last = None
    choice = cpu_precision(module, 32, 2)  # what training would use: cached by the benchmark's own probe
    assert choice.source == "cache" and (record["precision"], record["channels_last"]) == (
        choice.precision, choice.channels_last)  # fmt: skip
    for setting in ("32-true)", "32-true + channels_last)", "bf16-mixed", "bf16-mixed + channels_last"):
        assert f"colorgan step ({setting}" in output
    assert record["default_vs_fastest_explicit"] > 0 and record["images_per_s"] > 0
    assert record["step_gflop"] > 0 and record["matmul_fp32_gflops"] > 0 and record["matmul_bf16_gflops"] > 0
    assert 0 < record["machine_share"] and "of the faster matmul" in output


INFER_STAGES = ("lightness (uint8 RGB -> L)", "net", "ab upsampling (strips)", "Lab -> sRGB uint8, gamut mapped")


def test_benchmark_infer_prints_every_stage_beside_its_floor(capsys):
    benchmark_main(["infer", "--model", "mse_cnn", "--size", "32", "--batch", "2", "--photo-size", "300x200",
                    "--frame-size", "160x90", "--no-fresh-process"])  # fmt: skip
    record = last_json(capsys)
    assert record["images_per_s"] > 0 and record["peak_rss_mb"] > 0 and record["photo"] == "300x200"
    photo, frames = record["photo_stages"], record["frame_stages"]
    for stage in ("decode (load_rgb, to array)", *INFER_STAGES, "total: load, colorize_image, save"):
        assert photo[stage]["s"] > 0 and photo[stage]["floor_s"] > 0, stage
    assert any(name.startswith("encode (JPEG") for name in photo)  # a JPEG stays a JPEG
    assert all(frames[stage]["x_floor"] > 0 for stage in INFER_STAGES)
    assert record["baseline_images_per_s"] == pytest.approx(2 / frames["net"]["s"], rel=0.01)  # the net's frames/s


@pytest.mark.slow  # two fresh processes: the colorize command's start-up and its whole run
def test_benchmark_infer_times_the_colorize_command(capsys):
    benchmark_main(["infer", "--model", "mse_cnn", "--size", "32", "--batch", "1", "--photo-size", "300x200",
                    "--frame-size", "160x90"])  # fmt: skip
    record = last_json(capsys)
    # start-up is timed in a process of its own: on a 300x200 photo the command is little more than it, either way
    assert record["command_s"] > 0.8 * record["startup_s"] > 0 and record["command_peak_rss_mb"] > 0
    assert record["photo_stages"]["start-up: imports, checkpoint"]["floor_s"] > 0  # python -c 'import torch'


def test_compiled_nets_train_and_keep_their_checkpoint_keys(tmp_path, monkeypatch):
    compiled, real_compile = [], torch.nn.Module.compile

    def recording_compile(self, *args, **kwargs):
        compiled.append(type(self).__name__)
        return real_compile(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "compile", recording_compile)
    overrides = [*FAST, "model=mse_cnn", "trainer.max_steps=2", "trainer.limit_val_batches=1"]
    train(compose_cfg(tmp_path, [*overrides, "model.compile_nets=true"]))
    assert compiled == ["PlainCNN"]
    model = load_colorizer(tmp_path / "checkpoints" / "last.ckpt")  # strict: every key as uncompiled
    assert model.generator._compiled_call_impl is None  # a rebuilt colorizer runs eagerly
