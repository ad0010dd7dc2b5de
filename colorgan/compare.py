"""Compare checkpoints on the same held-out images: one table (rows = gray + models, seeds merged), the
paired differences against a reference row, what each row is, per-image values and one grid.

python -m colorgan.compare ckpts=[A.ckpt,B.ckpt,C.ckpt] data=folder data.root=/photos [logger=wandb]
python -m colorgan.compare ckpts=[a0.ckpt,a1.ckpt,b0.ckpt,b1.ckpt] names=[a,a,b,b] reference=a   # 2 seeds each
python -m colorgan.compare ckpts=[A.ckpt,B.ckpt] curves=true    # + curves.png: the runs' learning curves overlaid
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from colorgan.cli import config_dir, run_task
from colorgan.evaluation.pipeline import score_checkpoints
from colorgan.evaluation.summary import Summary
from colorgan.inference import resolve_device
from colorgan.training.checkpoint import load_checkpoints
from colorgan.training.curves import compare_curves
from colorgan.training.loggers import build_loggers


def score(cfg: DictConfig) -> tuple[Summary, dict]:
    """``ckpts`` (or evaluate's one ``ckpt_path``) scored by the one pipeline: the summary and metrics.json's record."""
    device = resolve_device(cfg.device)
    paths = cfg.get("ckpts") or ([cfg.ckpt_path] if cfg.get("ckpt_path") else [])
    loaded = load_checkpoints(paths, cfg.get("names"), device)
    extra = {}
    if cfg.get("curves"):  # the runs' own learning curves, overlaid (each from RUN/metrics.csv)
        curves, left_out = compare_curves(loaded.paths, Path(cfg.paths.output_dir) / "curves.png")
        extra = {"curves": str(curves) if curves else None, "warnings": [f"curves: {why}" for why in left_out]}
    return score_checkpoints(cfg, loaded, device, build_loggers(cfg.get("logger")), extra)


def compare(cfg: DictConfig) -> Summary:
    """Score ``cfg.ckpts`` and the gray baseline on the same images; return the table's numbers."""
    return score(cfg)[0]


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="compare")
def main(cfg: DictConfig) -> None:
    run_task(compare, cfg)


if __name__ == "__main__":
    main()
