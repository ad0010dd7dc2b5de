"""The one scoring pipeline of ``colorgan.evaluate`` (one checkpoint) and ``colorgan.compare`` (several): the
same images for every row, one summary, one output format (metrics.json, metrics.md, metrics_grid.png,
per_image.csv) in the run directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from omegaconf import DictConfig
from pytorch_lightning.loggers import WandbLogger

from colorgan.errors import ConfigError
from colorgan.evaluation.protocols import images_to_score
from colorgan.evaluation.report import markdown_report, wandb_table, write_report
from colorgan.evaluation.rows import describe_rows
from colorgan.evaluation.scoring import Evaluation, eval_loader, evaluate_colorizers
from colorgan.evaluation.summary import Summary, summarize
from colorgan.inference import resolve_device
from colorgan.models.base import ColorizationModule
from colorgan.training.checkpoint import load_colorizer
from colorgan.training.loggers import build_loggers


@dataclass
class Checkpoints:
    """The loaded models under unique keys, the rows (a row merges the checkpoints given one name: its seeds)
    and each key's file."""

    models: dict[str, ColorizationModule]
    groups: dict[str, list[str]]
    paths: dict[str, Path]


def default_name(model: ColorizationModule, ckpt: Path) -> str:
    """``gan (03-11-58/last)``: the model config's name, its run directory and the checkpoint stem."""
    run = ckpt.parent.parent.name if ckpt.parent.name == "checkpoints" else ckpt.parent.name
    return f"{model.meta['name']} ({run}/{ckpt.stem})"


def checkpoint_paths(cfg: DictConfig) -> list[Path]:
    """``ckpts=[...]`` (compare), or ``ckpt_path=...`` (evaluate)."""
    paths = list(cfg.get("ckpts") or ([cfg.ckpt_path] if cfg.get("ckpt_path") else []))
    if not paths:
        raise ConfigError("no checkpoint to score: give ckpt_path=RUN/checkpoints/last.ckpt or ckpts=[A.ckpt,B.ckpt]")
    return [Path(p) for p in paths]


def load_checkpoints(cfg: DictConfig, device: torch.device) -> Checkpoints:
    """Every checkpoint under a unique key, and the rows: checkpoints given the same name are one row."""
    paths = checkpoint_paths(cfg)
    names = list(cfg.names) if cfg.get("names") else [None] * len(paths)
    if len(names) != len(paths):
        raise ConfigError(f"{len(names)} names for {len(paths)} checkpoints")
    loaded = Checkpoints({}, {}, {})
    for path, name in zip(paths, names):
        model = load_colorizer(path, device)
        row = name or default_name(model, path)
        if name is None and row in loaded.groups:
            raise ConfigError(f"two checkpoints are both named {row!r}; pass names=[...] (equal names merge seeds)")
        key = row if row not in loaded.groups else f"{row} #{len(loaded.groups[row]) + 1}"
        loaded.models[key], loaded.paths[key] = model, path
        loaded.groups.setdefault(row, []).append(key)
    return loaded


def log_to_trackers(cfg: DictConfig, evaluation: Evaluation, summary: Summary) -> None:
    """The table (the same numbers as the markdown) and the grid to W&B, with ``logger=wandb``."""
    for logger in build_loggers(cfg.get("logger")):
        if isinstance(logger, WandbLogger):
            columns, rows = wandb_table(summary)
            logger.log_table("compare/table", columns=columns, data=rows)
            logger.log_image("compare/grid", [evaluation.grid], caption=[" | ".join(evaluation.grid_columns)])
            logger.experiment.finish()


def score_checkpoints(cfg: DictConfig) -> tuple[Summary, dict]:
    """Score every checkpoint of ``cfg`` and the gray baseline on the same images; write the report; return the
    summary and the record written to metrics.json."""
    torch.manual_seed(cfg.seed)  # models that keep dropout on at test time (pix2pix_isola) are reproducible
    device = resolve_device(cfg.device)
    loaded = load_checkpoints(cfg, device)
    metas = {k: m.meta for k, m in loaded.models.items()}
    files, transform, provenance, exclude_gray = images_to_score(cfg, metas)  # a protocol's, or a split
    first_seeds = [members[0] for members in loaded.groups.values()]
    loader = eval_loader(cfg, files, transform)
    evaluation = evaluate_colorizers(loaded.models, loader, device, cfg, first_seeds, exclude_gray)
    summary = summarize(evaluation, loaded.groups, cfg.get("reference"), cfg.bootstrap_resamples, cfg.seed)
    record = {
        "rows": describe_rows(loaded.groups, loaded.models, loaded.paths, evaluation),
        "data": cfg.data._target_.rsplit(".", 1)[-1],
        "data_root": cfg.data.get("root"),
        **provenance,
    }
    record, written = write_report(Path(cfg.paths.output_dir), evaluation, summary, record, loaded.groups)
    log_to_trackers(cfg, evaluation, summary)
    print(markdown_report(summary, evaluation, record) + f"\nwrote {', '.join(map(str, written.values()))}")
    return summary, record
