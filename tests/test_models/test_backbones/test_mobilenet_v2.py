import pytest
import timm
import torch

from deblurkit.models.backbones import MobileNetV2
from deblurkit.models.backbones import pretrained as pretrained_module


def test_five_maps_at_strides():
    net = MobileNetV2().eval()
    feats = net(torch.rand(2, 3, 64, 96))
    assert [tuple(f.shape) for f in feats] == [
        (2, c, 64 // s, 96 // s)
        for c, s in zip((16, 24, 32, 64, 160), (2, 4, 8, 16, 32))
    ]
    assert net.out_channels == (16, 24, 32, 64, 160)
    # Only the layers the generator uses are built (features[0:16]).
    assert len(net.features) == 16


def test_freeze_and_unfreeze():
    net = MobileNetV2()
    net.freeze()
    assert net.frozen
    assert not any(p.requires_grad for p in net.parameters())
    net.unfreeze()
    assert not net.frozen
    assert all(p.requires_grad for p in net.parameters())


def test_timm_weights_map_onto_the_classic_layout(tmp_path):
    """A timm mobilenetv2_100 file gives the same features as timm itself."""
    torch.manual_seed(0)
    reference = timm.create_model('mobilenetv2_100', pretrained=False).eval()
    # Non-trivial BN statistics so a wrong mapping cannot pass.
    for m in reference.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    path = tmp_path / 'mobilenetv2_100.pth'
    torch.save(reference.state_dict(), path)

    net = MobileNetV2(pretrained=str(path)).eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        ours = net(x)[3]  # 64 channels at stride 16
        y = reference.bn1(reference.conv_stem(x))
        for stage in reference.blocks[:4]:
            y = stage(y)
    assert ours.shape == y.shape
    assert torch.allclose(ours, y, atol=1e-5)


def test_missing_weights_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        MobileNetV2(pretrained=str(tmp_path / 'nowhere.pth'))


def test_weights_of_another_network_are_refused(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save({'features.0.0.weight': torch.zeros(8, 3, 3, 3)}, path)
    with pytest.raises(KeyError, match='missing keys'):
        MobileNetV2(pretrained=str(path))


def test_pretrained_true_offline_says_how_to_supply_weights(monkeypatch):
    monkeypatch.setattr(pretrained_module, '_cached_file', lambda cfg: None)
    monkeypatch.setattr(pretrained_module, '_host_resolves', lambda: False)
    with pytest.raises(FileNotFoundError) as err:
        MobileNetV2(pretrained=True)
    message = str(err.value)
    assert 'mobilenetv2_100' in message
    assert 'model.generator.backbone.pretrained' in message
    assert 'pretrained=True' in message  # the download command
