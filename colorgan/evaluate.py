"""Evaluate one checkpoint on the test split: metrics.json, metrics.md, per_image.csv and a grid.

python -m colorgan.evaluate ckpt_path=RUN/checkpoints/last.ckpt data=folder data.root=/photos
"""

from __future__ import annotations

from pathlib import Path

import hydra
import torch
from omegaconf import DictConfig

from colorgan.cli import config_dir, run_task
from colorgan.evaluation.hint_sweep import hint_sweep_report
from colorgan.evaluation.protocols import images_to_score
from colorgan.evaluation.report import markdown_report, write_report
from colorgan.evaluation.scoring import eval_loader, evaluate_colorizers
from colorgan.evaluation.summary import summarize
from colorgan.inference import resolve_device
from colorgan.training.checkpoint import load_colorizer


def evaluate(cfg: DictConfig) -> dict:
    """Score ``cfg.ckpt_path`` and the gray baseline; return the record written to metrics.json."""
    torch.manual_seed(cfg.seed)  # models that keep dropout on at test time (pix2pix_isola) are reproducible
    device = resolve_device(cfg.device)
    model = load_colorizer(cfg.ckpt_path, device)
    name = model.meta["name"]
    files, transform, provenance = images_to_score(cfg, {name: model.meta})  # a protocol's, or its own test split
    evaluation = evaluate_colorizers({name: model}, eval_loader(cfg, files, transform), device, cfg)
    summary = summarize(evaluation, resamples=cfg.bootstrap_resamples, seed=cfg.seed)
    record = {
        "checkpoint": str(cfg.ckpt_path),
        "model": name,
        "data": cfg.data._target_.rsplit(".", 1)[-1],
        "image_size": cfg.data.image_size,
        "working_size": model.meta.get("working_size"),
        **provenance,
    }
    if cfg.hint_sweep:  # PSNR and ΔE2000 against the number of revealed hints (Zhang et al. 2017, Fig. 6)
        record["hint_sweep"] = hint_sweep_report(cfg, {name: model}, eval_loader(cfg, files, transform), device)
    record, paths = write_report(Path(cfg.paths.output_dir), "metrics", evaluation, summary, record)
    written = [*map(str, paths.values()), *record.get("hint_sweep", {}).values()]
    print(markdown_report(summary, evaluation, record) + f"\nwrote {', '.join(written)}")
    return record


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="evaluate")
def main(cfg: DictConfig) -> None:
    run_task(evaluate, cfg)


if __name__ == "__main__":
    main()
