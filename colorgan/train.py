"""Training entry point: ``train(cfg)`` does the work, ``main`` is the Hydra command line.

python -m colorgan.train                      # model=gan data=samples: minutes on a CPU
python -m colorgan.train model=mse_cnn data=folder data.root=/photos
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path

import hydra
import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict
from pytorch_lightning.loggers import Logger
from pytorch_lightning.plugins.environments import SLURMEnvironment, TorchElasticEnvironment
from pytorch_lightning.utilities import rank_zero_only
from pytorch_lightning.utilities.exceptions import SIGTERMException

from colorgan.cli import config_dir, require_sweep_plugins, run_task
from colorgan.errors import ConfigError, DivergenceError
from colorgan.models.build import build_model
from colorgan.training.ab_prior import ABPriorPass
from colorgan.training.auto_precision import AUTO, PLACEHOLDER, precision_callbacks
from colorgan.training.loggers import ResilientWandbLogger, build_loggers
from colorgan.training.precision import check_precision
from colorgan.training.resume import check_resumable, find_resume_checkpoint
from colorgan.training.selection import FID_KEY, ValidationFID, fid_factory, resolve_selection

log = logging.getLogger(__name__)
SPLIT_FILE = "split.json"  # RUN/split.json: train/val/test paths relative to data.root, and the rule


def build_callbacks(callbacks_cfg: DictConfig | None) -> list[pl.Callback]:
    return [hydra.utils.instantiate(c) for c in (callbacks_cfg or {}).values() if c is not None]


def _uses_gpu(trainer_cfg: DictConfig) -> bool:
    accelerator = str(trainer_cfg.get("accelerator", "auto"))
    return accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())


def _in_multirun() -> bool:
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def check_multirun_launch(trainer_cfg: DictConfig) -> None:
    """Refuse a Hydra multirun whose DDP would re-run the command line for ranks > 0.

    Lightning's default DDP launcher starts each extra rank by re-executing ``sys.argv``; in a
    multirun that re-enters the sweep, and each rank trains a different sweep point while
    believing it is one DDP job. Spawned ranks (forks of this job) or ranks started by SLURM or
    torchrun all train the same point.
    """
    if not _in_multirun():
        return
    strategy = trainer_cfg.get("strategy")
    if isinstance(strategy, DictConfig):
        is_ddp = str(strategy.get("_target_", "")).endswith("DDPStrategy")
        is_ddp = is_ddp and strategy.get("start_method", "popen") == "popen"
    else:
        is_ddp = strategy == "ddp"
    devices = trainer_cfg.get("devices", 1)
    per_node = len(devices) if OmegaConf.is_list(devices) else int(devices) if str(devices).isdigit() else 2  # auto, -1
    processes = per_node * int(trainer_cfg.get("num_nodes", 1))
    external = SLURMEnvironment.detect() or TorchElasticEnvironment.detect()
    if is_ddp and processes > 1 and not external:
        raise ConfigError(
            "a Hydra multirun (-m) with trainer=ddp would start every extra rank by re-running the whole "
            "sweep, so each rank would silently train a different sweep point. Use "
            "trainer.strategy.start_method=spawn, or launch the sweep on SLURM (hydra/launcher=slurm), "
            "where every rank of a job trains the same point."
        )


def build_trainer(cfg: DictConfig, callbacks: list[pl.Callback], loggers: list[Logger]) -> pl.Trainer:
    """The Trainer of ``cfg.trainer``; ``sync_batchnorm: auto`` means on for GPUs (no CPU kernel)."""
    extra = {}
    if cfg.trainer.get("sync_batchnorm") == "auto":
        extra["sync_batchnorm"] = _uses_gpu(cfg.trainer)
    if cfg.trainer.get("precision") == AUTO:  # AutoPrecision installs the chosen plugin at setup
        extra["precision"] = PLACEHOLDER
    return hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False, **extra)


def record_split(datamodule: pl.LightningDataModule, run_dir: str) -> dict:
    """Write ``RUN/split.json`` (rank 0) and return the split as the checkpoint's meta carries it."""
    record = datamodule.split_record()
    if rank_zero_only.rank == 0:
        path = Path(run_dir) / SPLIT_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1) + "\n")
        counts = ", ".join(f"{len(record[s])} {s}" for s in ("train", "val", "test"))
        log.info("split (%s): %s -> %s", record["rule"].get("kind"), counts, path)
    return datamodule.split_meta()


def describe_run(model: pl.LightningModule, datamodule: pl.LightningDataModule, cfg: DictConfig) -> None:
    """What the checkpoint meta says of the data: the geometry its photos were made square with (evaluate
    scores that way) and the size the net then runs at (colorize, the demo)."""
    geometry = getattr(datamodule, "geometry", None)  # every ColorizationDataModule has one
    model.meta["working_size"] = geometry.scored_size if geometry is not None else int(cfg.data.image_size)
    if geometry is not None:
        model.meta["geometry"] = geometry.as_dict()


def train(cfg: DictConfig) -> float | None:
    """Fit ``cfg.model`` on ``cfg.data``; return ``cfg.optimized_metric`` for sweepers (None if not logged)."""
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)
    check_multirun_launch(cfg.trainer)  # before any work
    with open_dict(cfg.trainer):  # the canonical spelling (bf16 -> bf16-mixed) is what the callbacks and meta see
        cfg.trainer.precision = check_precision(cfg.trainer.get("precision", AUTO))
    datamodule = hydra.utils.instantiate(cfg.data)
    model = build_model(cfg.model, cfg.get("divergence"))
    describe_run(model, datamodule, cfg)
    model.meta["split"] = record_split(datamodule, cfg.paths.output_dir)
    cfg.selection_metric, why = resolve_selection(  # optimized_metric and the best checkpoint follow it
        cfg.selection_metric, len(datamodule.val_files), cfg.get("fid_weights"), cfg.selection_fid_min_images
    )
    log.info("checkpoint selection and sweeps use %s (%s)", cfg.selection_metric, why)
    model.meta["selection_metric"] = cfg.selection_metric
    if HydraConfig.initialized():  # the name typed on the command line: gan, mse_cnn...
        model.meta["name"] = HydraConfig.get().runtime.choices.get("model", model.meta["name"])
    ckpt_path = find_resume_checkpoint(cfg.get("ckpt_path"), cfg.paths.output_dir)
    if ckpt_path is not None:  # a wrong checkpoint is refused before any other work
        check_resumable(ckpt_path, model, model.model_config)
    callbacks = [*build_callbacks(cfg.get("callbacks")), ABPriorPass()]  # zhang16's prior; other models: nothing
    precision = str(cfg.trainer.get("precision", AUTO))
    callbacks += precision_callbacks(precision, model, _uses_gpu(cfg.trainer), cfg.data.image_size, cfg.data.batch_size)
    if cfg.selection_metric == FID_KEY:
        callbacks.append(ValidationFID(fid_factory(cfg.get("fid_weights"))))
    loggers = build_loggers(cfg.get("logger"))
    trainer = build_trainer(cfg, callbacks, loggers)
    for logger in loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    except DivergenceError as err:
        if not _in_multirun():
            raise
        log.error("%s", err)  # a diverged sweep point is a failed trial, not a failed sweep
        return float("nan")
    except SIGTERMException as stop:  # preemption: last.ckpt was saved; exit as a terminated process does
        log.warning("stopped by SIGTERM at step %d; resume with ckpt_path=last", trainer.global_step)
        raise SystemExit(128 + signal.SIGTERM) from stop
    finally:
        for logger in loggers:
            if isinstance(logger, ResilientWandbLogger) and trainer.is_global_zero:
                logger.finish()  # close the run: a multirun starts the next job in this process
    metric = trainer.callback_metrics.get(cfg.get("optimized_metric"))
    if trainer.is_global_zero:
        log.info("run directory: %s", cfg.paths.output_dir)
    return None if metric is None else float(metric)


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
def hydra_main(cfg: DictConfig) -> float | None:
    return run_task(train, cfg)


def main() -> float | None:
    """The command line: Hydra's, after checking that a sweep's plugins are installed."""
    require_sweep_plugins(sys.argv[1:])
    return hydra_main()


if __name__ == "__main__":
    main()
