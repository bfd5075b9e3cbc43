import pytest
import torch
import torch.nn as nn

from deblurkit.models.generators import FPNGenerator
from deblurkit.models.layers import DepthwiseSeparableConv2d
from deblurkit.registry import BACKBONES

SMALL = dict(
    backbone=dict(type='MobileNetV2'),
    neck=dict(type='FPN', num_filters=32),
    head=dict(type='FPNHead', num_filters=16))


def test_output_is_input_plus_bounded_residual():
    torch.manual_seed(0)
    generator = FPNGenerator(**SMALL).eval()
    x = torch.rand(2, 3, 64, 96) * 2 - 1
    with torch.no_grad():
        out = generator(x)
        residual = generator.head(generator.neck(generator.backbone(x)))
    assert out.shape == x.shape
    expected = torch.clamp(torch.tanh(residual) + x, -1, 1)
    assert torch.allclose(out, expected)


def test_sizes_not_multiple_of_32_are_padded_and_cropped():
    generator = FPNGenerator(**SMALL).eval()
    x = torch.rand(1, 3, 45, 70) * 2 - 1
    with torch.no_grad():
        out = generator(x)
        padded = torch.nn.functional.pad(x, (0, 26, 0, 19), mode='reflect')
        reference = generator(padded)[..., :45, :70]
    assert out.shape == x.shape
    # Same network on the padded image, minus the global residual's input.
    assert torch.allclose(
        torch.atanh((reference - padded[..., :45, :70]).clamp(-0.999, 0.999)),
        torch.atanh((out - x).clamp(-0.999, 0.999)),
        atol=1e-4)


def test_pad_mode_none_refuses_odd_sizes():
    generator = FPNGenerator(**SMALL, pad_mode=None)
    with pytest.raises(ValueError, match='not a multiple of 32'):
        generator(torch.zeros(1, 3, 40, 64))


def test_the_backbone_channels_reach_the_neck():
    generator = FPNGenerator(
        backbone=dict(type='TimmBackbone', model_name='resnet18'),
        neck=dict(type='FPN', num_filters=32, in_channels=(1, 2, 3, 4, 5)),
        head=dict(type='FPNHead', num_filters=16))
    assert generator.neck.in_channels == (64, 64, 128, 256, 512)
    assert generator.neck.lateral4.in_channels == 512


def test_unknown_backbone_type_lists_the_registered_ones():
    with pytest.raises(KeyError) as err:
        FPNGenerator(backbone=dict(type='NoSuchNet'))
    assert 'NoSuchNet' in str(err.value)
    assert 'MobileNetV2' in str(err.value)
    assert 'custom_imports' in str(err.value)


@BACKBONES.register_module(force=True)
class _WrongStrides(nn.Module):
    """Five maps, but all at stride 2."""
    out_channels = (4, 4, 4, 4, 4)

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, 2, 1)

    def forward(self, x):
        y = self.conv(x)
        return (y, ) * 5


def test_backbone_with_wrong_strides_is_refused_clearly():
    generator = FPNGenerator(
        backbone=dict(type='_WrongStrides'),
        neck=dict(type='FPN', num_filters=8),
        head=dict(type='FPNHead', num_filters=4))
    with pytest.raises(ValueError, match='strides'):
        generator(torch.zeros(1, 3, 64, 64))


def test_backbone_without_out_channels_is_refused():

    @BACKBONES.register_module(force=True)
    class _NoChannels(nn.Module):

        def forward(self, x):
            return x

    with pytest.raises(ValueError, match='out_channels'):
        FPNGenerator(backbone=dict(type='_NoChannels'))


def test_neck_and_head_widths_must_agree():
    with pytest.raises(ValueError, match='twice'):
        FPNGenerator(
            backbone=dict(type='MobileNetV2'),
            neck=dict(type='FPN', num_filters=64),
            head=dict(type='FPNHead', num_filters=64))


def test_dsc_replaces_every_3x3_convolution_of_neck_and_head():
    generator = FPNGenerator(
        backbone=dict(type='MobileNetV2'),
        neck=dict(type='FPN', conv_type='dsc'),
        head=dict(type='FPNHead', conv_type='dsc'))
    for part in (generator.neck, generator.head):
        dense3x3 = [
            m for m in part.modules()
            if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)
            and m.groups == 1
        ]
        assert dense3x3 == []
    assert isinstance(generator.head.final, DepthwiseSeparableConv2d)


@pytest.mark.parametrize('norm,kind', [('instance', nn.InstanceNorm2d),
                                       ('batch', nn.BatchNorm2d),
                                       ('none', None)])
def test_norm_options(norm, kind):
    generator = FPNGenerator(
        backbone=dict(type='MobileNetV2'),
        neck=dict(type='FPN', norm=norm),
        head=dict(type='FPNHead', norm=norm))
    norm_layer = generator.neck.td1[1]
    if kind is None:
        assert isinstance(norm_layer, nn.Identity)
    else:
        assert isinstance(norm_layer, kind)
    if norm == 'instance':
        # As released: running buffers, no affine weights.
        assert norm_layer.track_running_stats and not norm_layer.affine


def test_freeze_backbone_only():
    generator = FPNGenerator(**SMALL)
    generator.freeze_backbone()
    assert not any(p.requires_grad for p in generator.backbone.parameters())
    assert all(p.requires_grad for p in generator.neck.parameters())
    generator.unfreeze_backbone()
    assert all(p.requires_grad for p in generator.parameters())


def test_bad_norm_stats_is_refused():
    with pytest.raises(ValueError, match='norm_stats'):
        FPNGenerator(**SMALL, norm_stats='batch')


def test_dsc_needs_at_most_40_percent_of_the_macs():
    from tools.analysis_tools.get_flops import generator_complexity
    shape = (180, 320)  # 720x1280 / 4: the ratio does not depend on size
    dense = FPNGenerator(backbone=dict(type='MobileNetV2'))
    dsc = FPNGenerator(
        backbone=dict(type='MobileNetV2'),
        neck=dict(type='FPN', conv_type='dsc'),
        head=dict(type='FPNHead', conv_type='dsc'))
    dense_macs, _ = generator_complexity(dense, shape)
    dsc_macs, _ = generator_complexity(dsc, shape)
    # 39.7 GMACs at 736x1280 / 16 for the dense generator.
    assert 2.2e9 < dense_macs < 2.8e9
    assert dsc_macs / dense_macs <= 0.40


@pytest.mark.parametrize('conv_type', ['conv', 'dsc'])
def test_zero_init_residual_starts_from_the_identity(conv_type):
    generator = FPNGenerator(
        backbone=dict(type='MobileNetV2'),
        neck=dict(type='FPN', num_filters=32, conv_type=conv_type),
        head=dict(
            type='FPNHead',
            num_filters=16,
            conv_type=conv_type,
            zero_init_residual=True)).eval()
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.equal(generator(x), x)


def test_per_image_training_statistics_are_batch_invariant():
    torch.manual_seed(0)
    generator = FPNGenerator(**SMALL, train_norm_stats='per_image').train()
    x = torch.rand(3, 3, 128, 128) * 2 - 1
    bn = generator.backbone.features[0][1]
    mean0 = bn.running_mean.clone()
    together = generator(x)
    alone = torch.cat([generator(img[None]) for img in x])
    assert (together - alone).abs().max() < 1e-4
    assert not torch.equal(bn.running_mean, mean0)  # buffers still learn
    # With batch statistics the images influence each other.
    batch_stats = FPNGenerator(**SMALL).train()
    batch_stats.load_state_dict(generator.state_dict())
    mixed = batch_stats(x)
    assert (mixed[:1] - batch_stats(x[:1])).abs().max() > 1e-3
