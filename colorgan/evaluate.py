"""Evaluate one checkpoint: the scoring pipeline of compare with one checkpoint (metrics.json, metrics.md,
per_image.csv and a grid).

python -m colorgan.evaluate ckpt_path=RUN/checkpoints/last.ckpt data=folder data.root=/photos
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from colorgan.cli import config_dir, run_task
from colorgan.compare import score


def evaluate(cfg: DictConfig) -> dict:
    """Score ``cfg.ckpt_path`` and the gray baseline; return the record written to metrics.json."""
    return score(cfg)[1]


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="evaluate")
def main(cfg: DictConfig) -> None:
    run_task(evaluate, cfg)


if __name__ == "__main__":
    main()
