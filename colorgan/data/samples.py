"""The colour photographs that scikit-image ships, as a tiny dataset that needs no download."""

from __future__ import annotations

from pathlib import Path

import skimage.data

# Natural colour photographs only (no logos, charts, micrographs or synthetic images). The two
# motorcycle files are a stereo pair, so they stay on the same side of the split.
TRAIN_PHOTOS = ("astronaut.png", "rocket.jpg", "hubble_deep_field.jpg", "motorcycle_left.png", "motorcycle_right.png")
VAL_PHOTOS = ("chelsea.png", "coffee.png")


def sample_photos() -> tuple[list[Path], list[Path]]:
    """Paths of the bundled (train, val) photos; fails naming the file if the install lacks one."""
    root = Path(skimage.data.data_dir)
    train = [root / name for name in TRAIN_PHOTOS]
    val = [root / name for name in VAL_PHOTOS]
    missing = [str(p) for p in train + val if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"scikit-image's sample photos are missing: {', '.join(missing)}")
    return train, val
