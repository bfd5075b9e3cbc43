"""Norm layers with a per-image / running statistics switch."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from deblurkit.models.layers.norm import (AdaptiveBatchNorm2d,
                                          AdaptiveInstanceNorm2d,
                                          NormStatsMixin, build_norm_layer,
                                          convert_norm_layers, set_norm_stats)


def _trained_bn(channels=4):
    bn = AdaptiveBatchNorm2d(channels)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
    return bn.eval()


def test_per_image_is_instance_norm_with_the_layers_affine():
    bn = _trained_bn()
    x = torch.randn(3, 4, 5, 6) * 3 + 1
    expected = F.instance_norm(x, weight=bn.weight, bias=bn.bias,
                               use_input_stats=True, eps=bn.eps)
    with torch.no_grad():
        torch.testing.assert_close(bn(x), expected)
        # each image its own statistics: the batch does not matter
        torch.testing.assert_close(bn(x[1:2]), expected[1:2])


def test_running_uses_the_buffers():
    bn = _trained_bn()
    bn.norm_stats = 'running'
    x = torch.randn(2, 4, 5, 6)
    expected = (x - bn.running_mean[:, None, None]) / torch.sqrt(
        bn.running_var[:, None, None] + bn.eps) * bn.weight[:, None, None] \
        + bn.bias[:, None, None]
    with torch.no_grad():
        torch.testing.assert_close(bn(x), expected)


def test_per_image_training_updates_the_buffers_with_the_batch_mean():
    bn = AdaptiveBatchNorm2d(2, momentum=1.0)
    bn.train_norm_stats = 'per_image'
    x = torch.randn(2, 2, 4, 4) + torch.tensor([1., -2.])[None, :, None,
                                                           None]
    out = bn.train()(x)
    torch.testing.assert_close(
        out, F.instance_norm(x, weight=bn.weight, bias=bn.bias, eps=bn.eps))
    torch.testing.assert_close(bn.running_mean, x.mean(dim=(0, 2, 3)))


def test_convert_and_set_norm_stats_reach_every_layer():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4),
                        nn.Sequential(nn.InstanceNorm2d(4)))
    convert_norm_layers(net)
    assert isinstance(net[1], NormStatsMixin)
    assert isinstance(net[2][0], NormStatsMixin)
    assert isinstance(net[1], nn.BatchNorm2d)  # same layer, a new switch
    set_norm_stats(net, 'running')
    assert net[1].norm_stats == net[2][0].norm_stats == 'running'


def test_build_norm_layer():
    inorm = build_norm_layer('instance', 8)
    assert isinstance(inorm, AdaptiveInstanceNorm2d)
    assert inorm.track_running_stats and not inorm.affine  # as released
    assert isinstance(build_norm_layer('batch', 8), AdaptiveBatchNorm2d)
    assert isinstance(build_norm_layer('none', 8), nn.Identity)
    with pytest.raises(ValueError, match="'group'"):
        build_norm_layer('group', 8)
