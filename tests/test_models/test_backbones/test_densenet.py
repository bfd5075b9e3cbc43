"""DenseNet: timm's DenseNet-121 with the official FPN-DenseNet taps."""
import timm
import torch

from deblurkit.models.backbones import DenseNet


def test_densenet121_taps():
    backbone = DenseNet().eval()
    assert backbone.out_channels == (64, 256, 512, 1024, 1024)
    with torch.no_grad():
        feats = backbone(torch.rand(1, 3, 64, 96))
    assert [tuple(f.shape[-2:]) for f in feats] == [(64 // s, 96 // s)
                                                    for s in (2, 4, 8, 16,
                                                              32)]


def test_last_map_is_norm5_without_its_relu():
    torch.manual_seed(0)
    small = dict(growth_rate=8, block_config=(1, 1, 1, 1))
    backbone = DenseNet(**small).eval()
    reference = timm.create_model('densenet121', features_only=True, **small)
    reference.load_state_dict(backbone.model.state_dict())
    reference.eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        ours, theirs = backbone(x), reference(x)
    assert (ours[-1] < 0).any() and (theirs[-1] >= 0).all()
    torch.testing.assert_close(ours[-1].relu(), theirs[-1])
    for a, b in zip(ours[:-1], theirs[:-1]):
        torch.testing.assert_close(a, b)
