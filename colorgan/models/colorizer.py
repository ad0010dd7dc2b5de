"""What a colorizer is outside training: forward(L, hints) -> ab, with no Lightning and no metrics imported.

``colorgan.models.base.ColorizationModule`` (the LightningModule every model trains as) is a ``Colorizer``
plus its training; a checkpoint is rebuilt for colorize, the demo and evaluation as the ``Colorizer`` alone
(``colorgan.training.checkpoint.load_colorizer``), so that those commands start without importing Lightning
and without building a discriminator or optimizers they never use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from colorgan.color import AB_SCALE, L_ab_to_rgb, ab_bins
from colorgan.errors import ConfigError
from colorgan.hints import HintSimulation, net_input
from colorgan.models.batch_statistics import INFERENCE_NORMS, infer_with_batch_statistics

# Where a checkpoint keeps what rebuilds and describes its colorizer (read by colorgan.training.checkpoint).
MODEL_CONFIG_KEY = "colorgan_model_config"  # the resolved Hydra model config
META_KEY = "colorgan_meta"  # name, working size, split, precision, selection metric...
BIN_LOSSES = ("classification", "l2")


class Colorizer(nn.Module):
    """Normalized L (and, for a hint model, a hint map) -> normalized ab, as every colorgan model infers.

    ``meta`` (``name``: the model config's name, ``working_size``: the training image size...) and
    ``model_config`` (the resolved Hydra model config) travel in every checkpoint.

    ``inference_norm``: ``running`` (the usual eval mode) or ``batch``: outside training the generator's
    norm layers use the test batch's statistics and its dropout stays on, over groups of
    ``inference_batch`` images, as Isola et al. 2017 infer (``colorgan.models.batch_statistics``).

    ``hints``: None (an automatic colorizer: the net sees L alone), or the hint simulation settings of a
    user-guided colorizer (Zhang et al. 2017; ``colorgan.hints.HintSimulation``), whose net sees L, hint ab
    and a hint mask. Such a model given no hints colorizes automatically.
    """

    def __init__(
        self,
        generator: nn.Module,
        ab_scale: float = AB_SCALE,
        inference_norm: str = "running",
        inference_batch: int | None = None,
        hints: dict | None = None,
    ):
        super().__init__()
        if inference_norm not in INFERENCE_NORMS:
            choices = ", ".join(INFERENCE_NORMS)
            raise ValueError(f"model.inference_norm must be one of {choices}; got {inference_norm!r}")
        self.inference_norm, self.inference_batch = inference_norm, inference_batch
        self.generator = generator
        self.ab_scale = ab_scale
        self.model_config: dict | None = None
        self.meta: dict[str, Any] = {"name": type(generator).__name__, "working_size": 256}
        self.hint_simulation = HintSimulation(**hints) if hints is not None else None

    @property
    def uses_hints(self) -> bool:
        """Whether the net takes colour hints (trained with ``hints=random``)."""
        return self.hint_simulation is not None

    def require_hints(self) -> None:
        """Refuse, by name, to give hints to a model trained without them."""
        if not self.uses_hints:
            raise ConfigError(
                f"{self.meta['name']} was trained without colour hints (hints=none), so it cannot take any: "
                "colorize without hints, or train a model with hints=random"
            )

    def net_input(self, L: Tensor, hints: Tensor | None = None) -> Tensor:
        """What the net sees: L, or for a hint model L, hint ab and the centred mask (``colorgan.hints``)."""
        if self.uses_hints:
            return net_input(L, hints)
        if hints is not None:
            self.require_hints()
        return L

    def forward(self, L: Tensor, hints: Tensor | None = None) -> Tensor:
        """Normalized L ``(B, 1, H, W)`` and a hint map ``(B, 3, H, W)`` or None -> normalized ab ``(B, 2, H, W)``."""
        x = self.net_input(L, hints)
        if self.inference_norm == "batch" and not self.training:
            return self.ab_from_output(infer_with_batch_statistics(self.generator, x, self.inference_batch), L)
        return self.ab_from_output(self.generator(x), L)

    def ab_from_output(self, out: Tensor, L: Tensor) -> Tensor:
        """The net's output as ab ``(B, 2, H, W)``: here the net predicts ab itself."""
        return out

    def to_rgb(self, L: Tensor, ab: Tensor) -> Tensor:
        return L_ab_to_rgb(L, ab, self.ab_scale)


class BinColorizer(Colorizer):
    """Zhang et al. 2016's inference: the net predicts ``(B, Q, H/4, W/4)`` logits over ab bins (or 2 ab
    channels with ``loss="l2"``, the paper's regression baseline), decoded by the annealed mean (Sec. 2.3) and
    upsampled bilinearly to the input's resolution.

    ``generator`` is a factory called with ``out_channels`` (the number of bins). ``bins`` (``(Q, 2)`` ab
    centres, as the training config resolved them: ``classification_module.resolve_bins``) and ``prior`` (the
    smoothed ab prior, zeros until known) are buffers, so a checkpoint alone rebuilds the model and carries its prior.
    """

    def __init__(
        self,
        generator: Callable[..., nn.Module],
        bins: Tensor | list,
        loss: str = "classification",
        temperature: float = ab_bins.TEMPERATURE,
        **common,
    ):
        if loss not in BIN_LOSSES:
            raise ValueError(f"model.loss must be one of {', '.join(BIN_LOSSES)}; got {loss!r}")
        centres = torch.as_tensor(bins, dtype=torch.float32).view(-1, 2)
        super().__init__(generator(out_channels=centres.shape[0] if loss == "classification" else 2), **common)
        self.register_buffer("bins", centres)  # (Q, 2) ab in Lab units
        self.register_buffer("prior", torch.zeros(centres.shape[0]))  # (Q,) smoothed prior; zeros: not known yet
        self.loss, self.temperature = loss, temperature

    @property
    def has_prior(self) -> bool:
        return bool(self.prior.sum() > 0)

    def decode(self, out: Tensor) -> Tensor:
        """The net's 1/4-resolution output -> normalized ab ``(B, 2, h, w)``."""
        if self.loss == "l2":
            return out
        return ab_bins.annealed_mean(out, self.bins, self.temperature) / self.ab_scale

    def ab_from_output(self, out: Tensor, L: Tensor) -> Tensor:
        ab = self.decode(out)  # (B, 2, ceil(H/4), ceil(W/4))
        return F.interpolate(ab, size=L.shape[-2:], mode="bilinear", align_corners=False)  # (B, 2, H, W)
