"""trainer.precision=auto: the probe's choice and margin, its time bound, its cache, the GPU rule,
DDP agreement, and what a run records in its checkpoint."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.accelerators import CPUAccelerator
from pytorch_lightning.plugins.precision import MixedPrecision

from colorgan.benchmarks.models import benchmark_model
from colorgan.models.base import META_KEY
from colorgan.train import train
from colorgan.training import auto_precision, precision_probe
from colorgan.training.auto_precision import AutoPrecision, gpu_precision
from colorgan.training.machine import cpu_key
from colorgan.training.precision_probe import PrecisionChoice, choose, cpu_precision, time_candidates
from colorgan.training.step_cost import step_flops
from tests.conftest import compose_cfg

FP32, FP32_CL, BF16, BF16_CL = precision_probe.CANDIDATES


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORGAN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def fake_probe(monkeypatch, seconds: dict) -> list:
    """Replace the timing with ``seconds`` (s/step per candidate; None: abandoned); return the calls."""
    calls = []

    def timed(module, image_size, batch, candidates):
        calls.append(candidates)
        return {c: seconds[c] for c in candidates}

    monkeypatch.setattr(precision_probe, "time_candidates", timed)
    return calls


@pytest.mark.parametrize(
    "seconds, expected, why",
    [
        ({FP32: 1.0, FP32_CL: 0.9, BF16: 0.7, BF16_CL: 0.55}, BF16_CL, "bf16-mixed + channels_last measured 1.82x"),
        ({FP32: 1.0, FP32_CL: 0.97, BF16: None, BF16_CL: 9.0}, FP32, "nothing beat 32-true by 5%"),
    ],
    ids=["bf16-faster", "fp32-faster"],
)
def test_the_probe_picks_the_fastest_and_a_second_run_reads_the_cache(monkeypatch, cache_dir, seconds, expected, why):
    calls = fake_probe(monkeypatch, seconds)
    module = benchmark_model("mse_cnn", 32)
    first = cpu_precision(module, 32, 4)
    assert (first.precision, first.channels_last, first.source) == (*expected, "probe") and why in first.reason
    assert first.timings == {precision_probe.label(*c): t for c, t in seconds.items()}
    assert (cache_dir / precision_probe.CACHE_NAME).is_file()

    again = cpu_precision(benchmark_model("mse_cnn", 32), 32, 4)
    assert len(calls) == 1 and again.source == "cache"
    assert (again.precision, again.channels_last) == (first.precision, first.channels_last)
    assert again.timings == first.timings

    cpu_precision(module, 32, 8)  # another batch is another workload: probed
    cpu_precision(module, 32, 4, channels_last=True)  # a fixed layout: only the precisions are timed
    assert len(calls) == 3 and calls[2] == (FP32_CL, BF16_CL)


def test_a_candidate_must_beat_fp32_by_the_margin():
    assert choose({FP32: 1.0, BF16: 1 / 1.04}, FP32)[0] == FP32
    assert choose({FP32: 1.0, BF16: 1 / 1.06}, FP32)[0] == BF16
    assert choose({FP32: 1.0, BF16: None}, FP32) == (FP32, "every other setting was abandoned as slower than 32-true")


def test_the_cache_key_changes_with_the_thread_count():
    threads = torch.get_num_threads()
    key = cpu_key()
    try:
        torch.set_num_threads(threads + 1)
        assert cpu_key() != key
    finally:
        torch.set_num_threads(threads)
    assert cpu_key() == key


def test_a_much_slower_candidate_is_abandoned_early_in_its_first_step():
    """bf16 made 20x slower: abandoned a few layers in, not after running whole 20x-slower steps."""
    module = benchmark_model("mse_cnn", 32)
    slow_layers = []

    def slow_under_autocast(net, args):
        if torch.is_autocast_enabled("cpu"):
            slow_layers.append(type(net).__name__)
            time.sleep(0.02)

    layers = list(module.generator.modules())
    for layer in layers:
        layer.register_forward_pre_hook(slow_under_autocast)
    timings = time_candidates(module, 32, 2, precision_probe.CANDIDATES)
    assert timings[BF16] is None and timings[BF16_CL] is None
    assert timings[FP32] is not None and timings[FP32_CL] is not None
    assert len(slow_layers) < len(layers)  # both bf16 candidates together: less than one forward pass


def test_a_run_trains_in_the_chosen_precision_and_records_it(tmp_path, monkeypatch, cache_dir):
    calls = fake_probe(monkeypatch, {FP32: 1.0, FP32_CL: 1.0, BF16: 0.9, BF16_CL: 0.5})
    overrides = ["model=mse_cnn", "trainer.accelerator=cpu", "data.image_size=32", "data.batch_size=2",
                 "data.num_workers=0", "data.repeat=1", "logger=none", "trainer.max_steps=1",
                 "trainer.limit_val_batches=1", f"+callbacks.seen={{_target_:{__name__}.SeenPrecision}}"]  # fmt: skip
    for run in ("first", "second"):
        train(compose_cfg(tmp_path / run, overrides))
        meta = torch.load(tmp_path / run / "checkpoints" / "last.ckpt", weights_only=True)[META_KEY]
        assert (meta["precision"], meta["channels_last"]) == ("bf16-mixed", True)
        assert meta["precision_choice"]["source"] == ("probe" if run == "first" else "cache")
        assert meta["precision_choice"]["timings"]["bf16-mixed + channels_last"] == 0.5
        assert SeenPrecision.seen == ("bf16-mixed", True)  # what the Trainer and the weights really used
    assert len(calls) == 1  # the second run read the cache

    monkeypatch.setattr(precision_probe, "time_candidates", None)  # an explicit precision never probes
    train(compose_cfg(tmp_path / "explicit", [*overrides, "trainer.precision=32-true"]))
    meta = torch.load(tmp_path / "explicit" / "checkpoints" / "last.ckpt", weights_only=True)[META_KEY]
    assert (meta["precision"], meta["channels_last"]) == ("32-true", False)
    assert meta["precision_choice"]["source"] == "explicit"
    assert SeenPrecision.seen == ("32-true", False)


class SeenPrecision(pl.Callback):
    seen: tuple | None = None

    def on_train_start(self, trainer, pl_module) -> None:
        weight = next(p for p in pl_module.generator.parameters() if p.dim() == 4 and p.shape[1] > 1)
        type(self).seen = (trainer.precision, weight.is_contiguous(memory_format=torch.channels_last))


def test_ranks_other_than_zero_take_rank_zeros_choice_without_probing(monkeypatch):
    monkeypatch.setattr(auto_precision, "cpu_precision", None)  # calling it would fail
    rank0 = PrecisionChoice("bf16-mixed", True, "measured on rank 0", "probe")
    strategy = SimpleNamespace(broadcast=lambda obj: rank0, precision_plugin=None)
    trainer = SimpleNamespace(accelerator=CPUAccelerator(), is_global_zero=False, strategy=strategy)
    module = benchmark_model("mse_cnn", 32)
    module.channels_last = None
    AutoPrecision(32, 2).setup(trainer, module, "fit")
    assert isinstance(strategy.precision_plugin, MixedPrecision) and strategy.precision_plugin.precision == "bf16-mixed"
    assert module.channels_last is True and module.meta["precision"] == "bf16-mixed"


@pytest.mark.parametrize("capability, bf16, expected", [((7, 0), False, "16-mixed"), ((9, 0), True, "bf16-mixed")])
def test_gpus_get_bf16_where_they_have_it_and_tf32(monkeypatch, capability, bf16, expected):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "a GPU")
    before = torch.backends.cuda.matmul.fp32_precision
    try:
        choice = gpu_precision()
        assert (choice.precision, choice.channels_last) == (expected, True)
        assert torch.backends.cuda.matmul.fp32_precision == ("tf32" if capability >= (8, 0) else before)
    finally:
        torch.backends.cuda.matmul.fp32_precision = before


@pytest.mark.parametrize("name", ["gan", "pix2pix", "mse_cnn", "fusion", "zhang16"])
def test_the_probe_counts_every_models_step_on_meta_tensors(name):
    """The probe sizes its batch from the step's FLOPs, counted on meta tensors: every op of every
    model must run there (FusionNet's classifier sees gray_rgb(L), which once used a data-dependent
    gamut mapping and stopped the probe, and every training run of experiment=koalarization)."""
    assert step_flops(benchmark_model(name, 64), 64, 1) > 0
