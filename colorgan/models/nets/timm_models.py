"""Creating timm models with pretrained weights from the hub or a local file, failing clearly."""

from __future__ import annotations

from pathlib import Path

import timm
from torch import nn


def create_timm_model(name: str, pretrained: bool | str = False, **kwargs) -> nn.Module:
    """``timm.create_model(name, **kwargs)`` where ``pretrained`` is False/None (no download), True (hub)
    or a file path.

    A local file (``.safetensors``, ``.pth``, ``.bin``) is loaded through timm's own pretrained
    path, so input-channel adaptation (``in_chans=1``) and classifier filtering still apply.
    """
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
