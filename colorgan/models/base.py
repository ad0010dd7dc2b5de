"""The LightningModule every colorizer shares: forward(L) -> ab, evaluation, prediction."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor, nn
from torchmetrics import MeanMetric

from colorgan import metrics
from colorgan.color import AB_SCALE, L_ab_to_rgb, rgb_to_L_ab
from colorgan.models.batch_statistics import INFERENCE_NORMS, infer_with_batch_statistics

# Where a checkpoint keeps what rebuilds and describes its colorizer (read by colorgan.training.checkpoint).
MODEL_CONFIG_KEY = "colorgan_model_config"  # the resolved Hydra model config
META_KEY = "colorgan_meta"  # name, working size, split, precision, selection metric...


class StepChecks:
    """What a module asks around each optimizer update. This base checks nothing: a module built without a
    training policy (rebuilt from a checkpoint, or in a test) trains unguarded. The policy a run uses,
    NaN/Inf losses and a collapsed discriminator, is ``colorgan.training.divergence.DivergenceGuard``."""

    defers = True  # the checks may wait until a step's updates are done
    skipped = 0  # updates skipped so far

    def finite(self, name: str, loss: Tensor, module: pl.LightningModule) -> bool:
        return True

    def end_step(self, module: pl.LightningModule, losses: dict[str, Tensor], d_loss: Tensor | None = None,
                 step: int = 0, gan_mode: str | None = None) -> None:  # fmt: skip
        return None

    def snapshot(self, module: nn.Module) -> dict[str, Tensor] | None:
        return None

    def restore(self, module: nn.Module, snapshot: dict[str, Tensor] | None) -> None:
        return None


def trainable(module: nn.Module) -> list[nn.Parameter]:
    """Parameters an optimizer should own (a frozen classifier inside a net is left out)."""
    return [p for p in module.parameters() if p.requires_grad]


class ColorizationModule(pl.LightningModule):
    """Batches carry RGB uint8; the Lab conversion runs here, batched, on the module's device.

    ``model_config`` (the resolved Hydra model config) and ``meta`` (``name``: the config's name,
    ``working_size``: the training image size), both set by ``train``, are stored in every
    checkpoint so that the colorizer can be rebuilt and used from the checkpoint alone.

    ``inference_norm``: ``running`` (the usual eval mode) or ``batch``: outside training the generator's
    norm layers use the test batch's statistics and its dropout stays on, over groups of
    ``inference_batch`` images, as Isola et al. 2017 infer (``colorgan.models.batch_statistics``). Being in
    the model config, it travels in the checkpoint: validation, evaluate, compare, colorize and the
    demo all infer the way the paper does.
    """

    # What to turn down when training diverges, as a user types it (named in the divergence policy's
    # message): automatic optimization clips through the Trainer; a manual module sets its own.
    stability_settings: tuple[str, ...] = ("model.optimizer.lr", "trainer.gradient_clip_val")

    def __init__(
        self,
        generator: nn.Module,
        ab_scale: float = AB_SCALE,
        channels_last: bool | None = False,
        divergence: StepChecks | None = None,
        compile_nets: bool = False,
        inference_norm: str = "running",
        inference_batch: int | None = None,
    ):
        super().__init__()
        if inference_norm not in INFERENCE_NORMS:
            choices = ", ".join(INFERENCE_NORMS)
            raise ValueError(f"model.inference_norm must be one of {choices}; got {inference_norm!r}")
        self.inference_norm, self.inference_batch = inference_norm, inference_batch
        self.generator = generator
        self.divergence = divergence or StepChecks()  # what a NaN loss or a collapsed D does (training policy)
        self.ab_scale = ab_scale
        self.channels_last = channels_last  # NHWC weights and inputs; None: trainer.precision=auto decides
        self.compile_nets = compile_nets  # torch.compile the nets in place (checkpoint keys unchanged)
        self.model_config: dict | None = None
        self.meta: dict[str, Any] = {"name": type(generator).__name__, "working_size": 256}
        self.val_metrics = nn.ModuleDict({name: MeanMetric() for name in metrics.METRIC_NAMES})
        self.test_metrics = nn.ModuleDict({name: MeanMetric() for name in metrics.METRIC_NAMES})

    def forward(self, L: Tensor) -> Tensor:
        """Normalized L ``(B, 1, H, W)`` -> normalized ab ``(B, 2, H, W)``."""
        if self.inference_norm == "batch" and not self.training:
            return self.ab_from_output(infer_with_batch_statistics(self.generator, L, self.inference_batch), L)
        return self.ab_from_output(self.generator(L), L)

    def ab_from_output(self, out: Tensor, L: Tensor) -> Tensor:
        """The net's output as ab ``(B, 2, H, W)``: here the net predicts ab itself."""
        return out

    def on_fit_start(self) -> None:
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        if self.compile_nets:
            for net in self.trained_nets():
                net.compile()

    def trained_nets(self) -> list[nn.Module]:
        return [self.generator]

    def split_batch(self, batch: dict) -> tuple[Tensor, Tensor]:
        """RGB uint8 ``(B, 3, H, W)`` -> normalized L ``(B, 1, H, W)`` and ab ``(B, 2, H, W)``."""
        L, ab = rgb_to_L_ab(batch["rgb"], self.ab_scale)
        return (L.contiguous(memory_format=torch.channels_last) if self.channels_last else L), ab

    def to_rgb(self, L: Tensor, ab: Tensor) -> Tensor:
        return L_ab_to_rgb(L, ab, self.ab_scale)

    def metric_prior(self) -> metrics.ABPrior | None:
        """The ab prior that rebalances val/test AuC; None (the default): no rebalanced AuC is logged."""
        return None

    def _evaluate(self, batch: dict, split: str, store: nn.ModuleDict) -> dict[str, Tensor] | None:
        if "unreadable" in batch:  # files that broke after indexing: left out of the scores, counted
            count = float(len(batch["unreadable"]))
            self.log(f"{split}/unreadable_images", count, reduce_fx="sum", sync_dist=True, batch_size=1)
        if batch["rgb"].shape[0] == 0:  # all unreadable, or a DDP rank's padding (fewer images than ranks):
            logged = [*metrics.METRIC_NAMES, *([metrics.REBALANCED_AUC] if self.metric_prior() is not None else [])]
            for name in logged:  # the keys a scored batch logs on the other ranks: their sync is collective
                self.log(f"{split}/{name}", store[name], on_step=False, on_epoch=True, batch_size=1)
            return None
        L, ab = self.split_batch(batch)
        ab_hat = self(L)
        scores = metrics.colorization_metrics(self.to_rgb(L, ab_hat), self.to_rgb(L, ab), self.metric_prior())
        for name, values in scores.items():
            store[name].update(values)
            self.log(f"{split}/{name}", store[name], on_step=False, on_epoch=True, batch_size=L.shape[0])
        return {"L": L, "ab_hat": ab_hat.float(), "ab": ab}

    def validation_step(self, batch: dict, batch_idx: int) -> dict[str, Tensor] | None:
        return self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: dict, batch_idx: int) -> dict[str, Tensor] | None:
        return self._evaluate(batch, "test", self.test_metrics)

    def predict_step(self, batch: dict, batch_idx: int) -> Tensor:
        L, _ = self.split_batch(batch)
        return self.to_rgb(L, self(L))  # (B, 3, H, W) in [0, 1]

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[MODEL_CONFIG_KEY] = self.model_config
        checkpoint[META_KEY] = dict(self.meta)
