"""The only objects a checkpoint's stored model config may name: an allow-list of objects, not of names.

A ``_target_`` is accepted only when its exact dotted name is in ``TARGETS``, and it then maps to
exactly that object (the config's string is never resolved by import). A name that merely starts
with ``colorgan.`` or ``torch.`` reaches whatever those modules imported (``pathlib.Path``,
``torch.save``, report writers), which is why prefixes are not a boundary.

To allow a new class, add it to the tuple of its kind below (one line); a new LightningModule goes into
``COLORIZERS`` with the class it is rebuilt as.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import torch
import torch.optim.lr_scheduler as lr
from torch import nn

from colorgan.models import nets, schedules
from colorgan.models.colorizer import BinColorizer, Colorizer
from colorgan.models.nets import FusionNet, PatchGAN, Pix2PixUNet, PlainCNN, ResNetUNet, Zhang16Net

# The only names a stored config's top level may give: colorgan's LightningModules, each rebuilt as what it is
# outside training (its base class in colorgan.models.colorizer), so loading a checkpoint never imports
# Lightning. tests/test_checkpoint_security.py checks that each module is a subclass of the class named here.
COLORIZERS: dict[str, type[Colorizer]] = {
    "colorgan.models.classification_module.ClassificationColorizer": BinColorizer,
    "colorgan.models.gan_module.GANColorizer": Colorizer,
    "colorgan.models.regression_module.RegressionColorizer": Colorizer,
}
NETS: tuple[type, ...] = (FusionNet, PatchGAN, Pix2PixUNet, PlainCNN, ResNetUNet, Zhang16Net)
# nets stored as ``_partial_`` factories: the module supplies their output size (zhang16: the number of ab bins)
NET_FACTORIES: tuple[type, ...] = (Zhang16Net,)
# norm layers the nets take as ``norm_layer`` (a ``_partial_`` factory called with the channel count)
NORM_LAYERS: tuple[type, ...] = (nn.BatchNorm2d, nn.InstanceNorm2d)
OPTIMIZERS: tuple[type, ...] = (
    torch.optim.Adam,
    torch.optim.AdamW,
    torch.optim.SGD,
    torch.optim.RMSprop,
    torch.optim.Adagrad,
    torch.optim.Adamax,
    torch.optim.NAdam,
    torch.optim.RAdam,
)
# LR schedules (per epoch; zhang16's rate_drops per step) a module builds from its optimizer (``_partial_`` factories)
SCHEDULERS: tuple[Callable, ...] = (
    schedules.linear_decay,
    schedules.rate_drops,
    lr.StepLR,
    lr.MultiStepLR,
    lr.ExponentialLR,
    lr.CosineAnnealingLR,
    lr.LinearLR,
    lr.ConstantLR,
    lr.PolynomialLR,
)

# ``_partial_: true`` builds a factory that colorgan's code calls later with its own arguments
# (an optimizer with parameters, a scheduler with the optimizer, a norm layer with channels, a net with
# its output channels).
FACTORIES: tuple[Callable, ...] = NET_FACTORIES + NORM_LAYERS + OPTIMIZERS + SCHEDULERS
ALLOWED: tuple[Callable, ...] = NETS + FACTORIES

# Packages whose public names configs spell (``torch.optim.Adam``, ``colorgan.models.nets.FusionNet``)
# as well as the defining module's name (``torch.optim.adam.Adam``).
PUBLIC_NAMESPACES: tuple[ModuleType, ...] = (torch.nn, torch.optim, lr, nets)


def dotted_names(obj: Any, namespaces: Iterable[ModuleType] = PUBLIC_NAMESPACES) -> set[str]:
    """The defining module's name of ``obj`` and each public alias that is that very object."""
    names = {f"{obj.__module__}.{obj.__qualname__}"}
    names.update(f"{ns.__name__}.{obj.__name__}" for ns in namespaces if vars(ns).get(obj.__name__) is obj)
    return names


TARGETS: dict[str, Callable] = {**{name: obj for obj in ALLOWED for name in dotted_names(obj)}, **COLORIZERS}
