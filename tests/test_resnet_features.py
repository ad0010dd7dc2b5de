"""The plain ResNet encoder a checkpoint is rebuilt with computes what timm's ``features_only`` ResNet does."""

from __future__ import annotations

import pytest
import torch

from colorgan.models.nets import ResNetUNet
from colorgan.models.nets.resnet_features import ResNetFeatures, plain_resnet
from colorgan.models.nets.timm_models import create_timm_model, widen_first_conv


def _trained_looking(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Batch norms with running statistics and affine parameters away from their initial values, so a
    misplaced norm, activation or stride changes the output."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return model.eval()


@pytest.mark.parametrize(("backbone", "in_channels"), [("resnet18", 1), ("resnet18", 4), ("resnet50", 1)])
def test_the_plain_encoder_loads_timms_weights_and_gives_its_features(backbone, in_channels):
    torch.manual_seed(0)
    timm_encoder = create_timm_model(backbone, False, features_only=True, in_chans=1)
    if in_channels > 1:
        widen_first_conv(timm_encoder, in_channels)
        torch.nn.init.normal_(timm_encoder.conv1.weight)  # the hint channels' weights are not zero once trained
    timm_encoder = _trained_looking(timm_encoder)
    plain = ResNetFeatures(backbone, in_channels).eval()
    plain.load_state_dict(timm_encoder.state_dict(), strict=True)
    assert plain.channels == timm_encoder.feature_info.channels()
    assert plain.reductions == timm_encoder.feature_info.reduction()
    x = torch.randn(2, in_channels, 64, 96)
    with torch.no_grad():
        for ours, theirs in zip(plain(x), timm_encoder(x), strict=True):
            assert ours.shape == theirs.shape
            torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)


def test_a_rebuilt_unet_takes_the_plain_encoder_and_the_trained_weights():
    trained = _trained_looking(ResNetUNet("resnet18", pretrained=False, in_channels=4))
    rebuilt = ResNetUNet("resnet18", pretrained=None, in_channels=4).eval()
    assert isinstance(rebuilt.encoder, ResNetFeatures) and not isinstance(trained.encoder, ResNetFeatures)
    rebuilt.load_state_dict(trained.state_dict(), strict=True)
    x = torch.randn(1, 4, 50, 70)  # padded to the stride inside
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), trained(x), rtol=1e-4, atol=1e-5)


def test_other_backbones_are_left_to_timm():
    assert plain_resnet("resnet18") and plain_resnet("resnet50.a1_in1k")
    assert not plain_resnet("resnet18d") and not plain_resnet("resnext50_32x4d")
    assert not isinstance(ResNetUNet("resnet18d", pretrained=None).encoder, ResNetFeatures)
    with pytest.raises(ValueError, match="resnet18d"):
        ResNetFeatures("resnet18d")


def test_the_plain_encoder_starts_as_timms_does():
    """``pretrained=None`` in a training config builds the plain encoder: it must start from timm's initialisation
    (He-normal fan-out convolutions, each block's last batch norm at zero), not PyTorch's defaults."""
    torch.manual_seed(0)
    plain = ResNetFeatures("resnet50")
    timm_encoder = create_timm_model("resnet50", False, features_only=True, in_chans=1)
    for name, theirs in timm_encoder.state_dict().items():
        ours = plain.state_dict()[name]
        if name.endswith("num_batches_tracked"):
            continue
        if theirs.dim() == 4:  # convolutions: the same spread (random draws differ)
            assert abs(ours.std().item() / theirs.std().item() - 1) < 0.1, name
        else:  # batch norms: the same constants
            assert torch.equal(ours, theirs), name
