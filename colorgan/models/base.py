"""The LightningModule every colorizer trains as: a ``Colorizer`` with its batches, validation and checkpoints."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor, nn
from torchmetrics import MeanMetric

from colorgan import metrics
from colorgan.color import rgb_to_L_ab
from colorgan.models.colorizer import META_KEY, MODEL_CONFIG_KEY, Colorizer

HINTED = "hinted"  # val/test metrics of a hint model given simulated hints: val/hinted_psnr, ...
VAL_HINT_SEED = 2017  # validation hints are drawn from this seed plus the batch index: the same every epoch


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


class ColorizationModule(Colorizer, pl.LightningModule):
    """A ``Colorizer`` (``colorgan.models.colorizer``: forward, hints, inference norms) that trains under Lightning.
    Batches carry RGB uint8; the Lab conversion runs here, batched, on the module's device.

    ``model_config`` and ``meta``, both set by ``train``, are stored in every checkpoint so that the colorizer can
    be rebuilt and used from the checkpoint alone. ``inference_norm`` being in the model config, validation,
    evaluate, compare, colorize and the demo all infer the way the paper does.

    A hint model (``hints``: conf/hints/random.yaml) trains on hints simulated from the true colours. Its
    val/test metrics are those of automatic colorization (comparable with any model's, so checkpoint selection
    means the same); ``val/hinted_*`` add the same metrics with simulated hints, drawn from a fixed seed per
    batch (the same every epoch).
    """

    # What to turn down when training diverges, as a user types it (named in the divergence policy's
    # message): automatic optimization clips through the Trainer; a manual module sets its own.
    stability_settings: tuple[str, ...] = ("model.optimizer.lr", "trainer.gradient_clip_val")

    def __init__(
        self,
        generator: nn.Module,
        channels_last: bool | None = False,
        divergence: StepChecks | None = None,
        compile_nets: bool = False,
        **colorizer,
    ):
        super().__init__(generator, **colorizer)  # ab_scale, inference_norm, inference_batch, hints: Colorizer
        self.divergence = divergence or StepChecks()  # what a NaN loss or a collapsed D does (training policy)
        self.channels_last = channels_last  # NHWC weights and inputs; None: trainer.precision=auto decides
        self.compile_nets = compile_nets  # torch.compile the nets in place (checkpoint keys unchanged)
        names = [*metrics.METRIC_NAMES, *(f"{HINTED}_{n}" for n in metrics.METRIC_NAMES if self.uses_hints)]
        self.val_metrics = nn.ModuleDict({name: MeanMetric() for name in names})
        self.test_metrics = nn.ModuleDict({name: MeanMetric() for name in names})

    def on_fit_start(self) -> None:
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        if self.compile_nets:
            for net in self.trained_nets():
                net.compile()

    def trained_nets(self) -> list[nn.Module]:
        return [self.generator]

    def split_batch(self, batch: dict) -> tuple[Tensor, Tensor, Tensor | None]:
        """RGB uint8 ``(B, 3, H, W)`` -> normalized L ``(B, 1, H, W)``, ab ``(B, 2, H, W)`` and, for a hint
        model in training, hints simulated from that ab (``(B, 3, H, W)``; else None)."""
        L, ab = rgb_to_L_ab(batch["rgb"], self.ab_scale)
        hints = self.hint_simulation(ab) if self.training and self.uses_hints else None
        return (L.contiguous(memory_format=torch.channels_last) if self.channels_last else L), ab, hints

    def metric_prior(self) -> metrics.ABPrior | None:
        """The ab prior that rebalances val/test AuC; None (the default): no rebalanced AuC is logged."""
        return None

    def _score(self, L: Tensor, ab: Tensor, ab_hat: Tensor, split: str, store: nn.ModuleDict, prefix: str = "") -> None:
        scores = metrics.colorization_metrics(self.to_rgb(L, ab_hat), self.to_rgb(L, ab), self.metric_prior())
        for name, values in scores.items():
            if prefix + name in store:  # a pooled metric (rebalanced AuC) is weighted by its pixels' weights
                metric = store[prefix + name]
                metric.update(values, scores[metrics.POOLED[name]] if name in metrics.POOLED else 1.0)
                self.log(f"{split}/{prefix}{name}", metric, on_step=False, on_epoch=True, batch_size=L.shape[0])

    def _evaluate(self, batch: dict, split: str, store: nn.ModuleDict, batch_idx: int = 0) -> dict[str, Tensor] | None:
        if "unreadable" in batch:  # files that broke after indexing: left out of the scores, counted
            count = float(len(batch["unreadable"]))
            self.log(f"{split}/unreadable_images", count, reduce_fx="sum", sync_dist=True, batch_size=1)
        if batch["rgb"].shape[0] == 0:  # all unreadable, or a DDP rank's padding (fewer images than ranks):
            logged = [*metrics.METRIC_NAMES, *([metrics.REBALANCED_AUC] if self.metric_prior() is not None else [])]
            logged += [f"{HINTED}_{name}" for name in logged if self.uses_hints]
            for name in logged:  # the keys a scored batch logs on the other ranks: their sync is collective
                self.log(f"{split}/{name}", store[name], on_step=False, on_epoch=True, batch_size=1)
            return None
        L, ab, _ = self.split_batch(batch)
        ab_hat = self(L)
        self._score(L, ab, ab_hat, split, store)
        if self.uses_hints:  # the same images with simulated hints, the same ones every epoch
            hints = self.hint_simulation(ab, torch.Generator().manual_seed(VAL_HINT_SEED + batch_idx))
            self._score(L, ab, self(L, hints), split, store, prefix=f"{HINTED}_")
        return {"L": L, "ab_hat": ab_hat.float(), "ab": ab}

    def validation_step(self, batch: dict, batch_idx: int) -> dict[str, Tensor] | None:
        return self._evaluate(batch, "val", self.val_metrics, batch_idx)

    def test_step(self, batch: dict, batch_idx: int) -> dict[str, Tensor] | None:
        return self._evaluate(batch, "test", self.test_metrics, batch_idx)

    def predict_step(self, batch: dict, batch_idx: int) -> Tensor:
        L, _, _ = self.split_batch(batch)
        return self.to_rgb(L, self(L))  # (B, 3, H, W) in [0, 1]

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[MODEL_CONFIG_KEY] = self.model_config
        checkpoint[META_KEY] = dict(self.meta)
