"""Compare checkpoints on the same images: one table (rows = models + gray) and one grid.

python -m colorgan.compare ckpts=[A.ckpt,B.ckpt,C.ckpt] data=folder data.root=/photos [logger=wandb]
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig
from pytorch_lightning.loggers import WandbLogger

from colorgan.cli import config_dir, run_task
from colorgan.evaluation.report import COLUMNS, markdown_table, write_report
from colorgan.evaluation.scoring import Evaluation, eval_loader, evaluate_colorizers
from colorgan.inference import resolve_device
from colorgan.models.base import ColorizationModule
from colorgan.training.checkpoint import load_colorizer
from colorgan.training.loggers import build_loggers


def default_name(model: ColorizationModule, ckpt: Path) -> str:
    """``gan (03-11-58/last)``: the model config's name, its run directory and the checkpoint stem."""
    run = ckpt.parent.parent.name if ckpt.parent.name == "checkpoints" else ckpt.parent.name
    return f"{model.meta['name']} ({run}/{ckpt.stem})"


def load_models(cfg: DictConfig, device) -> dict[str, ColorizationModule]:
    paths = [Path(p) for p in cfg.ckpts]
    names = list(cfg.names) if cfg.get("names") else [None] * len(paths)
    if len(names) != len(paths):
        raise SystemExit(f"error: {len(names)} names for {len(paths)} checkpoints")
    models = {}
    for path, name in zip(paths, names):
        model = load_colorizer(path, device)
        name = name or default_name(model, path)
        if name in models:
            raise SystemExit(f"error: two checkpoints are both named {name!r}; pass names=[...]")
        models[name] = model
    return models


def log_to_trackers(cfg: DictConfig, evaluation: Evaluation) -> None:
    """The table and the grid to W&B (or any configured logger that takes tables and images)."""
    for logger in build_loggers(cfg.get("logger")):
        if isinstance(logger, WandbLogger):
            columns = [c for c in COLUMNS if any(c in r for r in evaluation.results.values())]
            rows = [[name, *(row.get(c) for c in columns)] for name, row in evaluation.results.items()]
            logger.log_table("compare/table", columns=["model", *columns], data=rows)
            logger.log_image("compare/grid", [evaluation.grid], caption=[" | ".join(evaluation.grid_columns)])
            logger.experiment.finish()


def compare(cfg: DictConfig) -> Evaluation:
    device = resolve_device(cfg.device)
    models = load_models(cfg, device)
    evaluation = evaluate_colorizers(models, eval_loader(cfg), device, cfg)
    record = {"checkpoints": dict(zip(models, map(str, cfg.ckpts))), "image_size": cfg.data.image_size}
    _, paths = write_report(
        Path(cfg.paths.output_dir), "comparison", evaluation, {**record, "results": evaluation.results}
    )
    log_to_trackers(cfg, evaluation)
    print(markdown_table(evaluation) + f"\nwrote {', '.join(map(str, paths.values()))}")
    return evaluation


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="compare")
def main(cfg: DictConfig) -> None:
    run_task(compare, cfg)


if __name__ == "__main__":
    main()
