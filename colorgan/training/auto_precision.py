"""``trainer.precision=auto`` (the default): the fastest correct precision for the machine a run is on.

GPUs: bf16-mixed where the GPU has bf16 (compute capability 8.0 and later), 16-mixed with a grad
scaler otherwise; TF32 for fp32 matmuls and convolutions where the GPU has it; channels_last
(tensor-core convolutions read NHWC). CPUs: measured by ``precision_probe``. Rank 0 decides and
broadcasts its choice, so every DDP rank trains the same way even where their caches differ.
An explicit ``trainer.precision`` is used as given, without probing.
"""

from __future__ import annotations

import logging

import pytorch_lightning as pl
import torch
from pytorch_lightning.accelerators import CUDAAccelerator
from pytorch_lightning.callbacks import Timer
from pytorch_lightning.plugins.precision import MixedPrecision, Precision

from colorgan.models.base import ColorizationModule
from colorgan.training.machine import cpu_description
from colorgan.training.precision import AUTO
from colorgan.training.precision_probe import PrecisionChoice, cpu_precision, label

log = logging.getLogger(__name__)

PLACEHOLDER = "32-true"  # what the Trainer is built with until AutoPrecision sets the chosen plugin


def gpu_precision(channels_last: bool | None = None) -> PrecisionChoice:
    """bf16-mixed where the current GPU has bf16, else 16-mixed; turns TF32 on where it exists."""
    major, minor = torch.cuda.get_device_capability()
    bf16 = torch.cuda.is_bf16_supported()
    tf32 = major >= 8  # Ampere and later
    if tf32:  # fp32 work left outside autocast (the losses, the optimizer's maths)
        torch.backends.cuda.matmul.fp32_precision = "tf32"
        torch.backends.cudnn.conv.fp32_precision = "tf32"
    reason = (
        f"{torch.cuda.get_device_name()} (compute capability {major}.{minor}) "
        f"{'has bf16' if bf16 else 'has no bf16: fp16 with a grad scaler'}; TF32 {'on' if tf32 else 'not available'}"
    )
    precision = "bf16-mixed" if bf16 else "16-mixed"
    return PrecisionChoice(precision, True if channels_last is None else channels_last, reason, "gpu")


def resolve_auto(
    module: ColorizationModule,
    on_gpu: bool,
    image_size: int,
    batch: int,
    cache: bool = True,
    steps: float = float("inf"),
    max_s: float | None = None,
) -> PrecisionChoice:
    """What ``auto`` means for ``module`` here (a run of ``steps`` steps or ``max_s`` seconds);
    ``module.channels_last`` None lets it pick the layout."""
    if on_gpu:
        return gpu_precision(module.channels_last)
    return cpu_precision(module, image_size, batch, module.channels_last, cache, steps, max_s)


def planned_run(trainer: pl.Trainer) -> tuple[float, float | None]:
    """``(steps, seconds)`` the trainer will run at most: its step estimate and its max_time (or None)."""
    try:
        steps = float(trainer.estimated_stepping_batches)
    except Exception:  # noqa: BLE001 - an estimate only: a loader Lightning cannot size counts as a long run
        steps = float("inf")
    timer = next((c for c in trainer.callbacks if isinstance(c, Timer)), None)
    remaining = timer.time_remaining() if timer is not None else None
    return steps, remaining


def plugin_for(precision: str, on_gpu: bool) -> Precision:
    """The Lightning plugin the Trainer would have built for ``precision``."""
    if precision == "32-true":
        return Precision()
    return MixedPrecision(precision, "cuda" if on_gpu else "cpu")


def describe(choice: PrecisionChoice) -> str:
    """One line for people: the choice, why, and the probe's timings."""
    line = f"precision: {label(choice.precision, choice.channels_last)} ({choice.source}: {choice.reason})"
    if choice.timings:
        times = ", ".join(f"{k} {'abandoned' if t is None else f'{t:.3f} s'}" for k, t in choice.timings.items())
        line += f"; s/step at batch {choice.probe_batch}: {times}"
        if choice.source == "probe":
            line += f"; probe took {choice.probe_seconds:.1f} s"
    return line


def precision_callbacks(
    precision: str, model: ColorizationModule, on_gpu: bool, image_size: int, batch: int
) -> list[pl.Callback]:
    """``[AutoPrecision]`` for ``auto``; for an explicit precision nothing to add, the choice is only
    recorded in ``model.meta`` (with ``model.channels_last`` None: NHWC for mixed precision on a GPU)."""
    if precision == AUTO:
        return [AutoPrecision(image_size, batch)]
    if model.channels_last is None:
        model.channels_last = on_gpu and precision.endswith("-mixed")
    choice = PrecisionChoice(precision, model.channels_last, f"trainer.precision={precision}", "explicit")
    model.meta.update(choice.meta())
    return []


class AutoPrecision(pl.Callback):
    """Resolves ``auto`` once the DDP processes exist (rank 0 measures, then broadcasts) and installs
    the chosen precision plugin and memory layout before the strategy sets the model up."""

    def __init__(self, image_size: int, batch_size: int, cache: bool = True):
        self.image_size, self.batch_size, self.cache = image_size, batch_size, cache
        self.choice: PrecisionChoice | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        on_gpu = isinstance(trainer.accelerator, CUDAAccelerator)
        if self.choice is None:
            mine = None
            if trainer.is_global_zero:
                steps, max_s = planned_run(trainer)
                mine = resolve_auto(pl_module, on_gpu, self.image_size, self.batch_size, self.cache, steps, max_s)
            self.choice = trainer.strategy.broadcast(mine)
            if on_gpu and not trainer.is_global_zero:
                gpu_precision(self.choice.channels_last)  # TF32 is a per-process setting
        trainer.strategy.precision_plugin = plugin_for(self.choice.precision, on_gpu)
        if pl_module.channels_last is None:
            pl_module.channels_last = self.choice.channels_last
        pl_module.meta.update(self.choice.meta())
        if not on_gpu:
            pl_module.meta["precision_choice"]["machine"] = cpu_description()
        if trainer.is_global_zero:
            log.info("%s", describe(self.choice))
