"""The colour photographs that scikit-image ships, as a tiny dataset that needs no download."""

from __future__ import annotations

from pathlib import Path

import skimage.data

# Natural colour photographs only (no logos, charts, micrographs or synthetic images). The two
# motorcycle files are a stereo pair, so they stay on the same side of the split. Only seven such
# photos ship: one for checkpoint selection, one held out for evaluation.
TRAIN_PHOTOS = ("astronaut.png", "rocket.jpg", "hubble_deep_field.jpg", "motorcycle_left.png", "motorcycle_right.png")
VAL_PHOTOS = ("coffee.png",)
TEST_PHOTOS = ("chelsea.png",)


def sample_photos() -> tuple[list[Path], list[Path], list[Path]]:
    """Paths of the bundled (train, val, test) photos; fails naming the file if the install lacks one."""
    root = Path(skimage.data.data_dir)
    parts = tuple([root / name for name in names] for names in (TRAIN_PHOTOS, VAL_PHOTOS, TEST_PHOTOS))
    missing = [str(p) for part in parts for p in part if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"scikit-image's sample photos are missing: {', '.join(missing)}")
    return parts
