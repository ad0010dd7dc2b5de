"""Colour hints (user-guided colorization, Zhang et al. 2017): the hint map a colorizer takes beside L, the
hints simulated from true colours for training and for the hint sweep, and the files a person writes them in.

A hint map is a float tensor ``(B, 3, H, W)``: channels 0-1 the hinted ab, normalized as the model's ab
(``ab / ab_scale``) and 0 where there is no hint; channel 2 the mask, 1 on hinted pixels and 0 elsewhere.
Imports nothing of colorgan but its colour maths and errors, so models, evaluation and the commands share it.
"""

from colorgan.hints.files import read_hints
from colorgan.hints.maps import (
    HINT_CHANNELS,
    MASK_CENTER,
    NET_IN_CHANNELS,
    empty_hints,
    hint_map,
    net_input,
    resize_hints,
)
from colorgan.hints.simulation import (
    HintSimulation,
    Patches,
    draw_patches,
    geometric_counts,
    paint_hints,
    random_hints,
    simulated_patches,
)

__all__ = [
    "HINT_CHANNELS", "MASK_CENTER", "NET_IN_CHANNELS", "HintSimulation", "Patches", "draw_patches", "empty_hints",
    "geometric_counts", "hint_map", "net_input", "paint_hints", "random_hints", "read_hints", "resize_hints",
    "simulated_patches",
]  # fmt: skip
