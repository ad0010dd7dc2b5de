"""Evaluate one checkpoint: the scoring pipeline of compare with one checkpoint (metrics.json, metrics.md,
per_image.csv and a grid).

python -m colorgan.evaluate ckpt_path=RUN/checkpoints/last.ckpt data=folder data.root=/photos
"""

from __future__ import annotations

import hydra
import torch
from omegaconf import DictConfig

from colorgan.cli import config_dir, run_task
from colorgan.compare import score
from colorgan.inference import resolve_device
from colorgan.training.checkpoint import load_colorizer
from colorgan.video import require_video_extra


def evaluate(cfg: DictConfig) -> dict:
    """Score ``cfg.ckpt_path`` and the gray baseline; return the record written to metrics.json."""
    if cfg.data._target_ == VIDEO_DATA:  # films: scored frame by frame and over time
        return evaluate_videos(cfg)
    return score(cfg)[1]


VIDEO_DATA = "colorgan.evaluation.video_scoring.VideoSet"


def evaluate_videos(cfg: DictConfig) -> dict:
    """data=video, through colorgan.evaluation.video_scoring, which needs the video extra (PyAV, OpenCV)."""
    require_video_extra("data=video")
    from colorgan.evaluation.video_scoring import evaluate_videos as score_videos  # imports PyAV and OpenCV

    torch.manual_seed(cfg.seed)  # models that keep dropout on at test time (pix2pix_isola) are reproducible
    return score_videos(cfg, load_colorizer(cfg.ckpt_path, resolve_device(cfg.device)))


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="evaluate")
def main(cfg: DictConfig) -> None:
    run_task(evaluate, cfg)


if __name__ == "__main__":
    main()
