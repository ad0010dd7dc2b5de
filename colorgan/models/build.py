"""Building a colorizer from its Hydra model config: used by train, compare and the benchmarks."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig, OmegaConf

from colorgan.models.base import ColorizationModule


def build_model(model_cfg: DictConfig, divergence_cfg: DictConfig | None = None) -> ColorizationModule:
    """Instantiate a model config (nets nested as ``_target_`` entries) and remember the config.

    ``divergence_cfg`` (a ``DivergenceGuard``) is a training policy, not part of the model: it is
    not stored in checkpoints.
    """
    guard = hydra.utils.instantiate(divergence_cfg) if divergence_cfg is not None else None
    model = hydra.utils.instantiate(model_cfg, _convert_="all", divergence=guard)
    model.model_config = OmegaConf.to_container(model_cfg, resolve=True)
    return model
