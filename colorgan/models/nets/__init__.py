"""Plain ``nn.Module`` nets: L (B, 1, H, W) in [-1, 1] -> ab (B, 2, H, W) in [-1, 1], and the PatchGAN.
Zhang16Net instead predicts ab-bin logits at 1/4 resolution (its module decodes them to ab).

A generator built with ``in_channels=4`` takes L followed by colour hints (``colorgan.hints.net_input``).
Each generator has a ``stride``: inputs of any size are padded to it inside ``forward``.
"""

from colorgan.models.nets.fusion import FusionNet
from colorgan.models.nets.patchgan import PatchGAN
from colorgan.models.nets.pix2pix_unet import Pix2PixUNet
from colorgan.models.nets.plain_cnn import PlainCNN
from colorgan.models.nets.resnet_unet import ResNetUNet
from colorgan.models.nets.zhang16 import Zhang16Net

__all__ = ["FusionNet", "PatchGAN", "Pix2PixUNet", "PlainCNN", "ResNetUNet", "Zhang16Net"]
