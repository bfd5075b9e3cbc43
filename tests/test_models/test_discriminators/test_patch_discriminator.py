import pytest
import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from deblurkit.models.discriminators import PatchDiscriminator
from deblurkit.registry import DISCRIMINATORS


def convs_of(module):
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def conv_param_count(channel_pairs):
    return sum(c_in * c_out * 16 + c_out for c_in, c_out in channel_pairs)


def empirical_receptive_field(model, size):
    """Width of the input region that reaches the centre output pixel."""
    for conv in convs_of(model):
        nn.init.constant_(conv.weight, 0.05)
        nn.init.zeros_(conv.bias)
    x = torch.rand(1, 3, size, size, requires_grad=True)
    out = model(x)[0]
    h, w = out.shape[-2:]
    out[0, 0, h // 2, w // 2].backward()
    touched = x.grad[0].abs().sum(0) > 0
    rows = touched.any(1).nonzero()
    cols = touched.any(0).nonzero()
    # The field must lie inside the image, or padding would clip it.
    assert rows.min() > 0 and rows.max() < size - 1
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def test_default_layout_matches_reference():
    disc = PatchDiscriminator()
    convs = convs_of(disc)
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (3, 64), (64, 128), (128, 256), (256, 512), (512, 1)]
    assert [c.stride for c in convs] == [(2, 2)] * 3 + [(1, 1)] * 2
    assert all(c.kernel_size == (4, 4) and c.padding == (2, 2)
               for c in convs)
    # Instance norm: every convolution keeps its bias, as the official code.
    assert all(c.bias is not None for c in convs)
    norms = [m for m in disc.modules() if isinstance(m, _InstanceNorm)]
    assert [n.num_features for n in norms] == [128, 256, 512]
    assert all(not n.affine and n.track_running_stats for n in norms)
    acts = [m for m in disc.modules() if isinstance(m, nn.LeakyReLU)]
    assert len(acts) == 4 and all(a.negative_slope == 0.2 for a in acts)
    assert not any(isinstance(m, nn.Sigmoid) for m in disc.modules())
    assert sum(p.numel() for p in disc.parameters()) == 2764737


def test_key_layout_is_the_official_one():
    keys = list(PatchDiscriminator().state_dict())
    norm_keys = ['running_mean', 'running_var', 'num_batches_tracked']
    expected = []
    for index in (0, 2, 5, 8, 11):
        expected += [f'model.{index}.weight', f'model.{index}.bias']
        if index in (2, 5, 8):
            expected += [f'model.{index + 1}.{k}' for k in norm_keys]
    assert keys == expected


@pytest.mark.parametrize('size,expected', [(64, 11), (256, 35), (50, 10)])
def test_output_is_a_list_with_one_map(size, expected):
    out = PatchDiscriminator(base_channels=8)(torch.randn(2, 3, size, size))
    assert isinstance(out, list) and len(out) == 1
    assert out[0].shape == (2, 1, expected, expected)


def test_five_layers_is_the_full_discriminator():
    disc = PatchDiscriminator(n_layers=5)
    channels = [3, 64, 128, 256, 512, 512, 512, 1]
    convs = convs_of(disc)
    assert [(c.in_channels, c.out_channels) for c in convs] == list(
        zip(channels[:-1], channels[1:]))
    assert [c.stride[0] for c in convs] == [2] * 5 + [1] * 2
    assert sum(p.numel() for p in disc.parameters()) == conv_param_count(
        zip(channels[:-1], channels[1:]))
    assert disc(torch.randn(1, 3, 64, 64))[0].shape == (1, 1, 5, 5)


@pytest.mark.parametrize('n_layers,field,size', [(3, 70, 128), (4, 142, 192),
                                                 (5, 286, 320)])
def test_receptive_field(n_layers, field, size):
    disc = PatchDiscriminator(base_channels=4, n_layers=n_layers, norm='none')
    assert disc.receptive_fields == [field]
    assert empirical_receptive_field(disc, size) == (field, field)


def test_norm_none_has_no_norm_layers_and_keeps_indices():
    disc = PatchDiscriminator(norm='none')
    assert not any(
        isinstance(m, (_BatchNorm, _InstanceNorm)) for m in disc.modules())
    assert all(c.bias is not None for c in convs_of(disc))
    assert [i for i, m in enumerate(disc.model)
            if isinstance(m, nn.Conv2d)] == [0, 2, 5, 8, 11]
    assert sum(p.numel() for p in disc.parameters()) == 2764737


def test_batch_norm_drops_the_bias_before_it():
    disc = PatchDiscriminator(norm='batch')
    assert [type(disc.model[i]) for i in (3, 6, 9)] == [nn.BatchNorm2d] * 3
    assert [c.bias is not None for c in convs_of(disc)] == [
        True, False, False, False, True]


def test_built_from_registry():
    disc = DISCRIMINATORS.build(
        dict(type='PatchDiscriminator', n_layers=2, base_channels=8))
    assert isinstance(disc, PatchDiscriminator)
    assert disc.receptive_fields == [34]


@pytest.mark.parametrize('kwargs,name', [(dict(norm='group'), 'norm'),
                                         (dict(n_layers=0), 'n_layers'),
                                         (dict(base_channels=0),
                                          'base_channels')])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        PatchDiscriminator(**kwargs)


@pytest.mark.parametrize('shape', [(1, 6, 5, 7), (3, 6, 9, 4)])
def test_logit_conv_computes_conv2d(shape):
    # The CPU path of the last convolution (a matrix product and a sum of
    # shifted maps) against F.conv2d: same output and gradients to float32
    # rounding, same parameters and state_dict keys as a plain Conv2d.
    from deblurkit.models.discriminators.patch_blocks import LogitConv2d
    torch.manual_seed(0)
    conv = LogitConv2d(6, 1, 4, stride=1, padding=2)
    assert list(conv.state_dict()) == ['weight', 'bias']
    x = torch.randn(shape, requires_grad=True)
    out = conv(x)
    ref = torch.nn.functional.conv2d(x, conv.weight, conv.bias, 1, 2)
    assert out.shape == ref.shape == (shape[0], 1, shape[2] + 1,
                                      shape[3] + 1)
    torch.testing.assert_close(out, ref, rtol=1e-6, atol=1e-6)
    grad = torch.randn_like(out)
    got = torch.autograd.grad(out, [x, conv.weight, conv.bias], grad)
    want = torch.autograd.grad(ref, [x, conv.weight, conv.bias], grad)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-6)
    d = PatchDiscriminator(n_layers=2, base_channels=4)
    assert type(d.model[-1]) is LogitConv2d


def test_logit_conv_weight_gradient_has_the_parameters_strides():
    # DDP's bucket views have the parameter's strides and it warns on every
    # step about a .grad with others (here: the stride of the size-1
    # output-channel dimension); the gradient is stored as it arrives.
    from deblurkit.models.discriminators.patch_blocks import LogitConv2d
    torch.manual_seed(0)
    conv = LogitConv2d(8, 1, 4, stride=1, padding=2)
    arriving = []
    conv.weight.register_hook(lambda g: arriving.append(g.stride()))
    x = torch.randn(2, 8, 10, 10)
    conv(x).square().sum().backward()
    assert arriving == [conv.weight.stride()] == [(128, 16, 4, 1)]
    assert conv.weight.grad.stride() == conv.weight.stride()
    want = torch.autograd.grad(
        torch.nn.functional.conv2d(x, conv.weight, conv.bias, 1,
                                   2).square().sum(), conv.weight)[0]
    torch.testing.assert_close(conv.weight.grad, want, rtol=1e-5,
                               atol=1e-5)
