"""CIEDE2000 colour difference (Sharma, Wu & Dalal 2005) for Lab tensors, batched in torch."""

from __future__ import annotations

import math

import torch
from torch import Tensor

_25_POW_7 = 25.0**7


def _hue(b: Tensor, a: Tensor) -> Tensor:
    """Hue angle in [0, 2 pi), 0 where the colour is neutral."""
    return torch.atan2(b, a) % (2 * math.pi)


@torch.autocast("cpu", enabled=False)
def delta_e_ciede2000(lab1: Tensor, lab2: Tensor) -> Tensor:
    """Per-pixel CIEDE2000 between ``(B, 3, H, W)`` Lab tensors -> ``(B, H, W)`` (kL = kC = kH = 1)."""
    L1, a1, b1 = lab1.double().unbind(dim=1)
    L2, a2, b2 = lab2.double().unbind(dim=1)
    c_bar = (torch.hypot(a1, b1) + torch.hypot(a2, b2)) / 2
    g = 0.5 * (1 - torch.sqrt(c_bar**7 / (c_bar**7 + _25_POW_7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = torch.hypot(a1p, b1), torch.hypot(a2p, b2)
    h1p, h2p = _hue(b1, a1p), _hue(b2, a2p)
    chroma_zero = (c1p * c2p) == 0

    dh = h2p - h1p
    dh = torch.where(dh > math.pi, dh - 2 * math.pi, torch.where(dh < -math.pi, dh + 2 * math.pi, dh))
    dh = torch.where(chroma_zero, torch.zeros_like(dh), dh)
    dL, dC = L2 - L1, c2p - c1p
    dH = 2 * torch.sqrt(c1p * c2p) * torch.sin(dh / 2)

    L_bar, c_bar_p = (L1 + L2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_bar = torch.where(
        (h1p - h2p).abs() <= math.pi,
        h_sum / 2,
        torch.where(h_sum < 2 * math.pi, (h_sum + 2 * math.pi) / 2, (h_sum - 2 * math.pi) / 2),
    )
    h_bar = torch.where(chroma_zero, h_sum, h_bar)

    deg = math.pi / 180
    t = (
        1
        - 0.17 * torch.cos(h_bar - 30 * deg)
        + 0.24 * torch.cos(2 * h_bar)
        + 0.32 * torch.cos(3 * h_bar + 6 * deg)
        - 0.20 * torch.cos(4 * h_bar - 63 * deg)
    )
    d_theta = 30 * deg * torch.exp(-(((h_bar / deg - 275) / 25) ** 2))
    r_c = 2 * torch.sqrt(c_bar_p**7 / (c_bar_p**7 + _25_POW_7))
    s_l = 1 + 0.015 * (L_bar - 50) ** 2 / torch.sqrt(20 + (L_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar_p
    s_h = 1 + 0.015 * c_bar_p * t
    r_t = -torch.sin(2 * d_theta) * r_c
    de = (dL / s_l) ** 2 + (dC / s_c) ** 2 + (dH / s_h) ** 2 + r_t * (dC / s_c) * (dH / s_h)
    return torch.sqrt(de.clamp_min(0)).to(lab1.dtype)
