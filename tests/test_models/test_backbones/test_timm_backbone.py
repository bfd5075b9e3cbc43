import pytest
import torch

from deblurkit.models.backbones import TimmBackbone
from deblurkit.models.generators import FPNGenerator


@pytest.mark.parametrize('name', ['resnet18', 'efficientnet_b0',
                                  'convnext_atto'])
def test_timm_models_give_five_strides_and_deblur(name):
    generator = FPNGenerator(
        backbone=dict(type='TimmBackbone', model_name=name),
        neck=dict(type='FPN', num_filters=32),
        head=dict(type='FPNHead', num_filters=16)).eval()
    backbone = generator.backbone
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        feats = backbone(x)
        out = generator(x)
    assert [f.shape[-1] for f in feats] == [32, 16, 8, 4, 2]
    assert tuple(f.shape[1] for f in feats) == backbone.out_channels
    assert out.shape == x.shape


def test_stride4_models_get_a_learned_stem():
    backbone = TimmBackbone('convnext_atto')
    assert backbone.stem is not None
    assert backbone.out_channels[0] == 32
    backbone.freeze()
    # The stem is new, so it keeps training while the timm model is frozen.
    assert backbone.frozen
    assert all(p.requires_grad for p in backbone.stem.parameters())
    backbone.unfreeze()
    assert all(p.requires_grad for p in backbone.parameters())


def test_stride2_models_need_no_stem():
    assert TimmBackbone('resnet18').stem is None


def test_unknown_timm_model_is_named():
    with pytest.raises(KeyError, match='not_a_model'):
        TimmBackbone('not_a_model')
