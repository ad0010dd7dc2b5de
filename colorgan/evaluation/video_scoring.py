"""Scoring a checkpoint on colour films: ``python -m colorgan.evaluate ckpt_path=... data=video data.root=FILMS``.

Each film is turned gray (its L, as photos are), colorized once per temporal mode, and scored per frame on
fidelity (the image metrics, averaged over its frames) and over time on stability (video_metrics). The
true film and the gray film are scored for stability too: the floor each number sits on. Intervals are
over films (bootstrap), paired across rows; the differences table is each row minus ``temporal=none``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import hydra
import numpy as np
import torch
from omegaconf import DictConfig

from colorgan.color import gray_rgb, rgb_to_L_ab
from colorgan.errors import ConfigError, VideoRejected
from colorgan.evaluation.grids import image_grid
from colorgan.evaluation.report import markdown_report, write_report
from colorgan.evaluation.scoring import GRAY, Evaluation
from colorgan.evaluation.summary import summarize
from colorgan.evaluation.video_metrics import StabilityMeter, true_motion
from colorgan.metrics import colorization_metrics
from colorgan.models.colorizer import Colorizer
from colorgan.video.pipeline import colorize_batch
from colorgan.video.reader import VideoReader, find_videos
from colorgan.video.temporal import FlowFilter, make_filter

log = logging.getLogger(__name__)
TRUTH = "truth"


@dataclass
class VideoSet:
    """The films below ``root``, their frames scaled so the short side is ``image_size`` (None: as they are),
    at most ``max_frames`` each, read ``batch_size`` at a time, colorized with each of the ``temporal`` modes."""

    root: str
    image_size: int | None = 256
    max_frames: int | None = None
    batch_size: int = 8
    temporal: list[str] = field(default_factory=lambda: ["none", "flow"])

    def films(self) -> list[Path]:
        return find_videos(self.root)

    def _photos_only(self, *_) -> None:
        raise ConfigError("data=video scores films with evaluate; train and compare take photos (data=folder, ...)")

    split_record = eval_files = _photos_only  # what train and compare ask a photo dataset first

    def frames(self, path: Path) -> Iterator[np.ndarray]:
        """Batches ``(N, H, W, 3)`` uint8 of the film's frames, scaled, up to ``max_frames`` in all."""
        left = self.max_frames if self.max_frames is not None else float("inf")
        with VideoReader(path) as reader:
            for batch in reader.batches(self.batch_size):
                rgb = batch.rgb[: int(min(left, len(batch.rgb)))]
                left -= len(rgb)
                yield np.stack([self._scaled(f) for f in rgb])
                if left <= 0:
                    return

    def _scaled(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        if not self.image_size or min(h, w) == self.image_size:
            return frame
        scale = self.image_size / min(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        return cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def row_names(model_name: str, modes: list[str]) -> dict[str, str | None]:
    """Table rows in order: the truth, gray, then the model once per temporal mode (row -> mode)."""
    return {TRUTH: None, GRAY: None} | {f"{model_name} (temporal={m})": m for m in modes}


@torch.no_grad()
def score_film(
    model: Colorizer, frames: Iterator[np.ndarray], rows: dict[str, str | None], grid_frames: int = 0
) -> tuple[dict[str, dict[str, float]], dict[str, list[torch.Tensor]]]:
    """Per row, each metric of one film (fidelity averaged over frames, stability over time), and up to
    ``grid_frames`` frames per row for the grid (float (K, 3, H, W))."""
    filters: dict[str, FlowFilter | None] = {r: make_filter(m) for r, m in rows.items() if m is not None}
    meters = {r: StabilityMeter() for r in rows}
    fidelity: dict[str, dict[str, list[torch.Tensor]]] = {r: defaultdict(list) for r in rows if r != TRUTH}
    shown: dict[str, list[torch.Tensor]] = defaultdict(list)
    prev = None
    for rgb in frames:  # (N, H, W, 3) uint8
        truth = torch.from_numpy(rgb).permute(0, 3, 1, 2)
        L, _ = rgb_to_L_ab(truth)
        outputs = {TRUTH: rgb, GRAY: (gray_rgb(L) * 255 + 0.5).byte().permute(0, 2, 3, 1).numpy()}
        outputs |= {r: colorize_batch(model, rgb, filters[r]) for r in filters}
        motions = []
        for frame in rgb:
            motions.append(None if prev is None else true_motion(prev, frame))
            prev = frame
        for row, out in outputs.items():
            for frame, motion in zip(out, motions):
                meters[row].add(frame, motion)
            if row != TRUTH:
                rgb_hat = torch.from_numpy(out).permute(0, 3, 1, 2).float() / 255.0
                for key, values in colorization_metrics(rgb_hat, truth.float() / 255.0).items():
                    fidelity[row][key].append(values.double())
            if len(shown[row]) < grid_frames:  # the first frame of each batch
                shown[row].append(torch.from_numpy(out[:1]).permute(0, 3, 1, 2).float() / 255.0)
    scores = {r: meters[r].result() for r in rows}
    for row, values in fidelity.items():
        scores[row] |= {k: float(torch.cat(v).mean()) for k, v in values.items()}
    return scores, shown


def score_films(model: Colorizer, data: VideoSet, max_grid_images: int = 8) -> Evaluation:
    """Every film below ``data.root`` scored (``score_film``); films that cannot be read are listed, not scored."""
    rows = row_names(model.meta["name"], list(data.temporal))
    values: dict[str, dict[str, list[float]]] = {r: defaultdict(list) for r in rows}
    paths, unreadable, grid = [], [], None
    for path in data.films():
        try:
            scores, shown = score_film(model, data.frames(path), rows, 0 if grid is not None else max_grid_images)
        except VideoRejected as err:
            log.warning("%s", err)
            unreadable.append(str(path))
            continue
        for row, metrics in scores.items():
            for key, value in metrics.items():
                values[row][key].append(value)
        paths.append(str(path))
        if grid is None:
            order = [GRAY, *(r for r in rows if r not in (TRUTH, GRAY)), TRUTH]
            grid = image_grid([torch.cat(shown[r]) for r in order]), order
    if not paths:
        raise VideoRejected(data.root, "no film below it could be read")
    per_film = {r: {k: torch.tensor(v, dtype=torch.float64) for k, v in m.items()} for r, m in values.items()}
    skipped = {}
    for metrics in per_film.values():
        for key in [k for k, v in metrics.items() if v.isnan().all()]:
            del metrics[key]  # e.g. films of one frame: no pair of frames to compare
            skipped[key] = "no film has frames of one shot far enough apart (cdc: 4 frames) to compare"
    return Evaluation(per_film, paths, {r: {} for r in rows}, skipped, grid[0], grid[1], unreadable)


NOTES = {
    "warp_error": "Lai et al. 2018: mean squared RGB difference (in [0, 1]) between output frame t-1 and output "
    "frame t warped back along the true frames' Farneback flow, over the pixels the forward-backward check keeps",
    "cdc": "Liu et al. 2021: Jensen-Shannon divergence (nats) of R, G, B histograms of frames 1, 2, 4 apart, averaged",
    "cdc_ab": "the same over the a and b histograms of Lab (1-unit bins): colour alone",
    "cuts": "pairs of frames across a scene cut of the true film are left out of warp_error and cdc",
    "fidelity": "the image metrics of each frame, averaged over the film's frames; intervals over films",
}


def evaluate_videos(cfg: DictConfig, model: Colorizer) -> dict:
    """Score ``model`` (from ``cfg.ckpt_path``) on the films of ``cfg.data`` (a ``VideoSet``): metrics.json,
    metrics.md, per_image.csv (one row per film) and a grid of frames from the first film; returns the record."""
    data: VideoSet = hydra.utils.instantiate(cfg.data, _convert_="all")
    start = time.perf_counter()
    evaluation = score_films(model, data, cfg.max_grid_images)
    evaluation.notes.update(NOTES)
    rows = list(evaluation.per_image)
    summary = summarize(evaluation, reference=rows[2], resamples=cfg.bootstrap_resamples, seed=cfg.seed)
    summary.bootstrap["unit"] = "film"
    record = {
        "checkpoint": str(cfg.ckpt_path),
        "model": model.meta["name"],
        "data": "video",
        "root": str(data.root),
        "image_size": data.image_size,
        "max_frames": data.max_frames,
        "working_size": model.meta.get("working_size"),
        "temporal": list(data.temporal),
        "unit": "films",
        "seconds": round(time.perf_counter() - start, 1),
        "rows": {},  # no checkpoint rows to describe: one checkpoint, one row per temporal mode
    }
    groups = {row: [row] for row in rows if row != GRAY}
    record, paths = write_report(Path(cfg.paths.output_dir), evaluation, summary, record, groups)
    print(markdown_report(summary, evaluation, record) + f"\nwrote {', '.join(map(str, paths.values()))}")
    return record
