"""Colour maths, pure torch: sRGB <-> CIE Lab, gamut mapping at fixed L*, the (L, ab) normalization the
models see, and Zhang et al.'s quantized ab bins (``colorgan.color.ab_bins``). Imports nothing else of colorgan,
so data, models and evaluation all build on it."""

from colorgan.color.gamut import INSIDE_LINEAR, lab_to_rgb
from colorgan.color.lab import AB_SCALE, L_SCALE, rgb_to_lab
from colorgan.color.normalize import L_ab_to_rgb, gray_rgb, rgb_to_L_ab

__all__ = ["AB_SCALE", "INSIDE_LINEAR", "L_SCALE", "L_ab_to_rgb", "gray_rgb", "lab_to_rgb", "rgb_to_L_ab", "rgb_to_lab"]
