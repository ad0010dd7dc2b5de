"""The one scoring pipeline of ``colorgan.evaluate`` (one checkpoint) and ``colorgan.compare`` (several): the
same images for every row, one summary, one output format (metrics.json, metrics.md, metrics_grid.png,
per_image.csv) in the run directory. The checkpoints come loaded (``colorgan.training.checkpoint.load_checkpoints``)."""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig
from pytorch_lightning.loggers import WandbLogger

from colorgan.evaluation.hint_sweep import hint_sweep_report
from colorgan.evaluation.protocols import scoring_loader
from colorgan.evaluation.provenance import Checkpoints
from colorgan.evaluation.report import markdown_report, wandb_table, write_report
from colorgan.evaluation.rows import describe_rows
from colorgan.evaluation.scoring import Evaluation, evaluate_colorizers
from colorgan.evaluation.summary import Summary, summarize


def log_to_trackers(loggers: list, evaluation: Evaluation, summary: Summary) -> None:
    """The table (the same numbers as the markdown) and the grid to W&B, with ``logger=wandb``."""
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            columns, rows = wandb_table(summary)
            logger.log_table("compare/table", columns=columns, data=rows)
            logger.log_image("compare/grid", [evaluation.grid], caption=[" | ".join(evaluation.grid_columns)])
            logger.experiment.finish()


def score_checkpoints(
    cfg: DictConfig, loaded: Checkpoints, device: torch.device, loggers: list | None = None, extra: dict | None = None
) -> tuple[Summary, dict]:
    """Score the ``loaded`` checkpoints and the gray baseline on the same images; write the report with
    ``extra`` in its record (its ``warnings`` join the others); return the summary and metrics.json's record."""
    torch.manual_seed(cfg.seed)  # models that keep dropout on at test time (pix2pix_isola) are reproducible
    metas = {k: m.meta for k, m in loaded.models.items()}
    loader, provenance, exclude_gray = scoring_loader(cfg, metas)  # a protocol's, a split's, or generated scenes
    first_seeds = [members[0] for members in loaded.groups.values()]
    evaluation = evaluate_colorizers(loaded.models, loader, device, cfg, first_seeds, exclude_gray)
    summary = summarize(evaluation, loaded.groups, cfg.get("reference"), cfg.bootstrap_resamples, cfg.seed)
    if cfg.get("hint_sweep"):  # PSNR and ΔE2000 against the number of revealed hints (Zhang et al. 2017, Fig. 6)
        extra = {**(extra or {}), "hint_sweep": hint_sweep_report(cfg, loaded.models, loader, device, loaded.groups)}
    record = {
        "rows": describe_rows(loaded.groups, loaded.models, loaded.paths, evaluation),
        "data": cfg.data._target_.rsplit(".", 1)[-1],
        "data_root": cfg.data.get("root"),
        **provenance,
        **(extra or {}),
        "warnings": [*provenance.get("warnings", []), *(extra or {}).get("warnings", [])],
    }
    record, written = write_report(Path(cfg.paths.output_dir), evaluation, summary, record, loaded.groups)
    log_to_trackers(loggers or [], evaluation, summary)
    wrote = [*map(str, written.values()), *record.get("hint_sweep", {}).values(), *filter(None, [record.get("curves")])]
    print(markdown_report(summary, evaluation, record) + f"\nwrote {', '.join(wrote)}")
    return summary, record
