"""Evaluate one checkpoint on a dataset's images: metrics.json, metrics.md and a grid in the run dir.

python -m colorgan.evaluate ckpt_path=RUN/checkpoints/last.ckpt data=folder data.root=/photos
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from colorgan.cli import config_dir, run_task
from colorgan.evaluation.report import markdown_table, write_report
from colorgan.evaluation.scoring import GRAY, eval_loader, evaluate_colorizers
from colorgan.inference import resolve_device
from colorgan.training.checkpoint import load_colorizer


def evaluate(cfg: DictConfig) -> dict:
    """Score ``cfg.ckpt_path`` and the gray baseline; return the record written to metrics.json."""
    device = resolve_device(cfg.device)
    model = load_colorizer(cfg.ckpt_path, device)
    name = model.meta["name"]
    evaluation = evaluate_colorizers({name: model}, eval_loader(cfg), device, cfg)
    record = {
        "checkpoint": str(cfg.ckpt_path),
        "model": name,
        "data": cfg.data._target_.rsplit(".", 1)[-1],
        "image_size": cfg.data.image_size,
        **evaluation.results[name],
        "gray": evaluation.results[GRAY],
    }
    record, paths = write_report(Path(cfg.paths.output_dir), "metrics", evaluation, record)
    print(markdown_table(evaluation) + f"\nwrote {', '.join(map(str, paths.values()))}")
    return record


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="evaluate")
def main(cfg: DictConfig) -> None:
    run_task(evaluate, cfg)


if __name__ == "__main__":
    main()
