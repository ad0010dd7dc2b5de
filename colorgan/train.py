"""Training entry point: ``train(cfg)`` does the work, ``main`` is the Hydra command line.

    python -m colorgan.train                      # model=gan data=samples: minutes on a CPU
    python -m colorgan.train model=mse_cnn data=folder data.root=/photos
"""

from __future__ import annotations

import logging

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.loggers import Logger, WandbLogger

from colorgan.models.base import ColorizationModule

log = logging.getLogger(__name__)


def build_model(model_cfg: DictConfig) -> ColorizationModule:
    """Instantiate a model config (nets nested as ``_target_`` entries) and remember the config."""
    model = hydra.utils.instantiate(model_cfg, _convert_="all")
    model.model_config = OmegaConf.to_container(model_cfg, resolve=True)
    return model


def build_loggers(logger_cfg: DictConfig | None) -> list[Logger]:
    return [hydra.utils.instantiate(c) for c in (logger_cfg or {}).values() if c is not None]


def build_callbacks(callbacks_cfg: DictConfig | None) -> list[pl.Callback]:
    return [hydra.utils.instantiate(c) for c in (callbacks_cfg or {}).values() if c is not None]


def train(cfg: DictConfig) -> float | None:
    """Fit ``cfg.model`` on ``cfg.data``; return ``cfg.optimized_metric`` for sweepers (None if not logged)."""
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)
    datamodule = hydra.utils.instantiate(cfg.data)
    model = build_model(cfg.model)
    model.meta["working_size"] = int(cfg.data.image_size)
    if HydraConfig.initialized():  # the name typed on the command line: gan, mse_cnn...
        model.meta["name"] = HydraConfig.get().runtime.choices.get("model", model.meta["name"])
    callbacks = build_callbacks(cfg.get("callbacks"))
    loggers = build_loggers(cfg.get("logger"))
    trainer: pl.Trainer = hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    for logger in loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    finally:
        for logger in loggers:
            if isinstance(logger, WandbLogger) and trainer.is_global_zero:
                logger.experiment.finish()  # close the run: a multirun starts the next job in this process
    metric = trainer.callback_metrics.get(cfg.get("optimized_metric"))
    if trainer.is_global_zero:
        log.info("run directory: %s", cfg.paths.output_dir)
    return None if metric is None else float(metric)


def exit_on_missing_settings(cfg: DictConfig) -> None:
    """Stop with one line naming the setting (e.g. data=folder without data.root), not a traceback."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise SystemExit(f"error: missing required setting(s): {', '.join(missing)} (add {missing[0]}=...)")


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    exit_on_missing_settings(cfg)
    return train(cfg)


if __name__ == "__main__":
    main()
