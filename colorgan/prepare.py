"""Write a data module's checked train/val/test splits as a litdata optimized dataset, for data=streaming.

python -m colorgan.prepare data.root=/photos out=/fast/disk/photos-opt              # the files' own bytes
python -m colorgan.prepare data.root=/photos out=s3://bucket/photos-opt max_side=512  # resized, JPEG
python -m colorgan.train data=streaming data.input_dir=s3://bucket/photos-opt
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from colorgan.cli import config_dir, run_task


def prepare(cfg: DictConfig) -> dict:
    """Prepare ``cfg.data`` into ``cfg.out``; return what colorgan.json records."""
    # here, not at the top: without the streaming extra the command says so in one line (run_task)
    from colorgan.data.streaming.layout import SPLIT_NAME, join
    from colorgan.data.streaming.prepare import prepare_dataset

    record = prepare_dataset(
        hydra.utils.instantiate(cfg.data), str(cfg.out), cfg.max_side, cfg.jpeg_quality, cfg.chunk_bytes,
        cfg.num_workers, cfg.overwrite,
    )  # fmt: skip
    counts = ", ".join(f"{n} {s}" for s, n in record["counts"].items())
    form = "original bytes" if cfg.max_side is None else f"JPEG, long side <= {cfg.max_side} px"
    print(f"prepared {counts} images ({form}) in {cfg.out}; split: {join(str(cfg.out), SPLIT_NAME)}")
    print(f"train with: python -m colorgan.train data=streaming data.input_dir={cfg.out}")
    return record


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="prepare")
def main(cfg: DictConfig) -> None:
    run_task(prepare, cfg)


if __name__ == "__main__":
    main()
