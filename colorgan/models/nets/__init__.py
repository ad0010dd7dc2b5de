"""Plain ``nn.Module`` nets: L (B, 1, H, W) in [-1, 1] -> ab (B, 2, H, W) in [-1, 1], and the PatchGAN.

Each generator has a ``stride``: inputs of any size are padded to it inside ``forward``.
"""

from colorgan.models.nets.fusion import FusionNet
from colorgan.models.nets.patchgan import PatchGAN
from colorgan.models.nets.pix2pix_unet import Pix2PixUNet
from colorgan.models.nets.plain_cnn import PlainCNN
from colorgan.models.nets.resnet_unet import ResNetUNet

__all__ = ["FusionNet", "PatchGAN", "Pix2PixUNet", "PlainCNN", "ResNetUNet"]
