from functools import partial

import hydra
import pytest
import timm
import torch
from torch import nn

from colorgan.models.build import build_model
from colorgan.models.nets import PatchGAN, Pix2PixUNet, PlainCNN, ResNetUNet
from colorgan.models.nets.timm_models import create_timm_model
from tests.conftest import MODELS, compose_cfg


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("size", [(37, 53), (64, 64), (1, 300)])
def test_every_configured_model_keeps_the_input_size(tmp_path, model, size):
    colorizer = build_model(compose_cfg(tmp_path, [f"model={model}"]).model).eval()
    L = torch.rand(2, 1, *size) * 2 - 1
    with torch.no_grad():
        ab = colorizer(L)
    assert ab.shape == (2, 2, *size)
    assert ab.abs().max() <= 1 and torch.isfinite(ab).all()
    assert colorizer.generator.stride >= 8


@pytest.mark.parametrize("backbone", ["resnet18", "resnet34", "efficientnet_b0", "convnext_atto"])
def test_resnet_unet_takes_any_timm_cnn_backbone(backbone):
    net = ResNetUNet(backbone=backbone)
    assert net.stride == 32
    assert net(torch.rand(1, 1, 45, 70)).shape == (1, 2, 45, 70)


def test_resnet_unet_decoder_widths_follow_the_encoder():
    net = ResNetUNet(backbone="resnet34")
    skips = net.encoder.feature_info.channels()[:-1]
    assert [b.convs[-1][0].out_channels for b in net.decoder] == list(reversed(skips))


def test_unknown_backbone_is_named():
    with pytest.raises(ValueError, match="resnet_nope"):
        ResNetUNet(backbone="resnet_nope")


def test_missing_pretrained_weights_fail_fast_with_the_fix():
    with pytest.raises(RuntimeError, match=r"resnet18(.|\n)*pretrained=false"):
        ResNetUNet(backbone="resnet18", pretrained=True)  # HF_HUB_OFFLINE=1 and nothing cached


def test_pretrained_weights_from_a_local_file_reach_the_gray_encoder(tmp_path):
    source = timm.create_model("resnet18")
    path = tmp_path / "resnet18.pth"
    torch.save(source.state_dict(), path)
    net = ResNetUNet(backbone="resnet18", pretrained=str(path))
    # timm adapts the RGB stem to one channel by summing over the input channels
    torch.testing.assert_close(net.encoder.conv1.weight, source.conv1.weight.sum(dim=1, keepdim=True))
    torch.testing.assert_close(net.encoder.layer4[1].conv2.weight, source.layer4[1].conv2.weight)
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        create_timm_model("resnet18", str(tmp_path / "missing.pth"))


def test_pix2pix_unet_256_is_the_classic_architecture():
    net = Pix2PixUNet(num_downs=8)
    assert net.stride == 256
    assert sum(isinstance(m, nn.Dropout) for m in net.modules()) == 3
    n_params = sum(p.numel() for p in net.parameters())
    assert 54.0e6 < n_params < 54.6e6  # pix2pix's unet_256 (3 in, 3 out) has 54.4M parameters
    assert net(torch.rand(1, 1, 256, 256)).shape == (1, 2, 256, 256)


@pytest.mark.parametrize("n_layers, patches", [(3, 30), (2, 62), (4, 14)])
def test_patchgan_patch_grid(n_layers, patches):
    d = PatchGAN(n_layers=n_layers)
    assert d(torch.rand(2, 3, 256, 256)).shape == (2, 1, patches, patches)


def test_patchgan_norm_is_configurable():
    no_norm = PatchGAN(norm_layer=None)
    inst = PatchGAN(norm_layer=partial(nn.InstanceNorm2d, affine=True))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in no_norm.modules())
    assert any(isinstance(m, nn.InstanceNorm2d) for m in inst.modules())
    assert inst(torch.rand(1, 3, 67, 93)).shape == (1, 1, 6, 9)


def test_plain_cnn_rejects_inconsistent_widths():
    with pytest.raises(ValueError, match="decoder_widths"):
        PlainCNN(encoder_widths=(64, 128), decoder_widths=(64, 32))


def test_fusion_classifier_is_frozen_and_stays_in_eval(tmp_path):
    cfg = compose_cfg(tmp_path, ["model=fusion", "model.generator.classifier=resnet18"])
    net = hydra.utils.instantiate(cfg.model.generator).train()
    assert not net.classifier.training and net.encoder.training
    assert not any(p.requires_grad for p in net.classifier.parameters())
    L = torch.rand(2, 1, 40, 40) * 2 - 1
    net(L).sum().backward()
    assert all(p.grad is None for p in net.classifier.parameters())
    emb = net.embed(L)
    assert emb.shape == (2, net.classifier.num_classes) and not torch.equal(emb[0], emb[1])  # class logits
