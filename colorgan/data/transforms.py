"""The evaluation transform of square crops (``data.geometry=crop``) by size alone, for code without a data
config (the ab prior pass, the benchmarks): ``colorgan.data.geometry.Geometry``'s own."""

from __future__ import annotations

from colorgan.data.geometry import Geometry
from colorgan.data.images import DecodeThen


def val_transform(size: int) -> DecodeThen:
    """Resize the short side to ``size`` and take the center square: deterministic; reads a file at that scale."""
    return Geometry("crop", size).eval_transform()
