"""Creating timm models with pretrained weights from the hub or a local file, failing clearly."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


def create_timm_model(name: str, pretrained: bool | str = False, **kwargs) -> nn.Module:
    """``timm.create_model(name, **kwargs)`` where ``pretrained`` is False/None (no download), True (hub)
    or a file path.

    A local file (``.safetensors``, ``.pth``, ``.bin``) is loaded through timm's own pretrained
    path, so input-channel adaptation (``in_chans=1``) and classifier filtering still apply.
    """
    import timm  # here, not at the top: it takes seconds to import, and a trained ResNet U-Net needs none of it

    if not timm.is_model(name):
        raise ValueError(f"unknown timm model {name!r}; list candidates with timm.list_models('*{name}*')")
    if isinstance(pretrained, str) and pretrained.lower() in ("true", "false"):
        pretrained = pretrained.lower() == "true"
    if not pretrained:
        return timm.create_model(name, pretrained=False, **kwargs)
    if pretrained is not True:
        path = Path(pretrained).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"pretrained weights file for {name!r} not found: {path}")
        return timm.create_model(name, pretrained=True, pretrained_cfg_overlay={"file": str(path)}, **kwargs)
    try:
        return timm.create_model(name, pretrained=True, **kwargs)
    except Exception as err:  # no network, HF_HUB_OFFLINE, gated repo, corrupt cache...
        raise RuntimeError(
            f"could not load pretrained weights for timm model {name!r}: {type(err).__name__}: {err}\n"
            "Either pass a local weights file (pretrained=/path/to/weights.safetensors), "
            "or train from scratch (pretrained=false)."
        ) from err


def widen_first_conv(model: nn.Module, in_channels: int) -> None:
    """Give ``model``'s first conv (built for one input channel) ``in_channels`` inputs, in place: the first
    keeps its weights (pretrained or not), the new ones start at zero, so the widened net computes what the
    one-channel net computed until training teaches it to use its new inputs (colour hints)."""
    name, conv = next((n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d))
    if conv.in_channels != 1:
        raise ValueError(f"expected the first conv ({name}) to take 1 channel, it takes {conv.in_channels}")
    wide = nn.Conv2d(
        in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups,
        bias=conv.bias is not None, padding_mode=conv.padding_mode,
    ).to(conv.weight.device, conv.weight.dtype)  # fmt: skip
    with torch.no_grad():
        wide.weight.zero_()
        wide.weight[:, :1] = conv.weight
        if conv.bias is not None:
            wide.bias.copy_(conv.bias)
    parent, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, attr, wide)
