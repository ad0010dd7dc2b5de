"""Compare checkpoints on the same held-out images: one table (rows = gray + models, seeds merged), the
paired differences against a reference row, per-image values and one grid.

python -m colorgan.compare ckpts=[A.ckpt,B.ckpt,C.ckpt] data=folder data.root=/photos [logger=wandb]
python -m colorgan.compare ckpts=[a0.ckpt,a1.ckpt,b0.ckpt,b1.ckpt] names=[a,a,b,b] reference=a   # 2 seeds each
"""

from __future__ import annotations

from pathlib import Path

import hydra
import torch
from omegaconf import DictConfig
from pytorch_lightning.loggers import WandbLogger

from colorgan.cli import config_dir, run_task
from colorgan.errors import ConfigError
from colorgan.evaluation.hint_sweep import hint_sweep_report
from colorgan.evaluation.protocols import images_to_score
from colorgan.evaluation.report import markdown_report, wandb_table, write_report
from colorgan.evaluation.scoring import Evaluation, eval_loader, evaluate_colorizers
from colorgan.evaluation.summary import Summary, summarize
from colorgan.inference import resolve_device
from colorgan.models.base import ColorizationModule
from colorgan.training.checkpoint import load_colorizer
from colorgan.training.loggers import build_loggers


def default_name(model: ColorizationModule, ckpt: Path) -> str:
    """``gan (03-11-58/last)``: the model config's name, its run directory and the checkpoint stem."""
    run = ckpt.parent.parent.name if ckpt.parent.name == "checkpoints" else ckpt.parent.name
    return f"{model.meta['name']} ({run}/{ckpt.stem})"


def load_models(cfg: DictConfig, device) -> tuple[dict[str, ColorizationModule], dict[str, list[str]]]:
    """Every checkpoint under a unique key, and the rows: checkpoints given the same name are one row."""
    paths = [Path(p) for p in cfg.ckpts]
    names = list(cfg.names) if cfg.get("names") else [None] * len(paths)
    if len(names) != len(paths):
        raise ConfigError(f"{len(names)} names for {len(paths)} checkpoints")
    models: dict[str, ColorizationModule] = {}
    groups: dict[str, list[str]] = {}
    for path, name in zip(paths, names):
        model = load_colorizer(path, device)
        row = name or default_name(model, path)
        if name is None and row in groups:
            raise ConfigError(f"two checkpoints are both named {row!r}; pass names=[...] (equal names merge seeds)")
        key = row if row not in groups else f"{row} #{len(groups[row]) + 1}"
        models[key] = model
        groups.setdefault(row, []).append(key)
    return models, groups


def log_to_trackers(cfg: DictConfig, evaluation: Evaluation, summary: Summary) -> None:
    """The table (the same numbers as the markdown) and the grid to W&B."""
    for logger in build_loggers(cfg.get("logger")):
        if isinstance(logger, WandbLogger):
            columns, rows = wandb_table(summary)
            logger.log_table("compare/table", columns=columns, data=rows)
            logger.log_image("compare/grid", [evaluation.grid], caption=[" | ".join(evaluation.grid_columns)])
            logger.experiment.finish()


def compare(cfg: DictConfig) -> Summary:
    torch.manual_seed(cfg.seed)
    device = resolve_device(cfg.device)
    models, groups = load_models(cfg, device)
    metas = {k: m.meta for k, m in models.items()}
    files, transform, provenance = images_to_score(cfg, metas)  # a protocol's, or the first checkpoint's test split
    first_seeds = [members[0] for members in groups.values()]
    evaluation = evaluate_colorizers(models, eval_loader(cfg, files, transform), device, cfg, grid_models=first_seeds)
    summary = summarize(evaluation, groups, cfg.get("reference"), cfg.bootstrap_resamples, cfg.seed)
    ckpt_of = dict(zip(models, map(str, cfg.ckpts)))
    record = {
        "checkpoints": {row: [ckpt_of[k] for k in members] for row, members in groups.items()},
        "image_size": cfg.data.image_size,
        **provenance,
    }
    if cfg.hint_sweep:  # PSNR and ΔE2000 against the number of revealed hints (Zhang et al. 2017, Fig. 6)
        record["hint_sweep"] = hint_sweep_report(cfg, models, eval_loader(cfg, files, transform), device, groups)
    record, written = write_report(Path(cfg.paths.output_dir), "comparison", evaluation, summary, record)
    log_to_trackers(cfg, evaluation, summary)
    paths = [*map(str, written.values()), *record.get("hint_sweep", {}).values()]
    print(markdown_report(summary, evaluation, record) + f"\nwrote {', '.join(paths)}")
    return summary


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="compare")
def main(cfg: DictConfig) -> None:
    run_task(compare, cfg)


if __name__ == "__main__":
    main()
