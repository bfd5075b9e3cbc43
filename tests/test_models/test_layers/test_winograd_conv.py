"""Winograd stride-1 convolutions: same numbers as ``nn.Conv2d``."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from deblurkit.models.layers import winograd_conv
from deblurkit.models.layers.winograd_conv import (WinogradConv2d,
                                                   winograd_conv2d_forward,
                                                   winograd_matrices)


@pytest.fixture
def small_thresholds(monkeypatch):
    # Tiny layers, so that the tests run in milliseconds; the thresholds
    # only pick where the Winograd path is taken, not what it computes.
    monkeypatch.setattr(winograd_conv, 'MIN_CHANNELS', 4)
    monkeypatch.setattr(winograd_conv, 'MIN_TILES', 1)


def rel(a, b):
    a, b = a.detach().double(), b.detach().double()
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize('m,r', [(4, 3), (3, 4), (2, 3), (5, 2), (6, 3)])
def test_matrices_compute_a_1d_correlation(m, r):
    at, g, bt = winograd_matrices(m, r)
    a = m + r - 1
    assert at.shape == (m, a) and g.shape == (a, r) and bt.shape == (a, a)
    gen = torch.Generator().manual_seed(m * 10 + r)
    d = torch.randn(a, dtype=torch.float64, generator=gen)
    k = torch.randn(r, dtype=torch.float64, generator=gen)
    expected = torch.stack([(d[i:i + r] * k).sum() for i in range(m)])
    torch.testing.assert_close(at @ ((g @ k) * (bt @ d)), expected)
    if (m, r) in ((4, 3), (3, 4)):
        # The sizes the layers use: B^T is integers, so the input
        # transform is exact up to float32 sums.
        assert torch.equal(bt, bt.round())


def test_matrices_outside_the_points_are_refused():
    with pytest.raises(ValueError, match='F\\(7, 3\\)'):
        winograd_matrices(7, 3)


@pytest.mark.parametrize('k,p', [(3, 1), (3, 0), (3, 2), (4, 2), (4, 1),
                                 (4, 0), (4, 3)])
@pytest.mark.parametrize('channels_last', [False, True])
def test_forward_and_gradients_match_a_float64_convolution(
        small_thresholds, k, p, channels_last):
    torch.manual_seed(k * 10 + p)
    conv = WinogradConv2d(6, 5, k, padding=p)
    # Odd sizes: the last tiles hang over the edge.
    x = torch.randn(2, 6, 11, 9)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_(True)
    assert conv.winograd_applies(x)
    y = conv(x)
    ref = copy.deepcopy(conv).double()
    xd = x.detach().double().requires_grad_(True)
    yd = F.conv2d(xd, ref.weight, ref.bias, padding=p)
    assert y.shape == yd.shape
    assert rel(y, yd) < 1e-5
    assert y.is_contiguous(memory_format=torch.channels_last
                           if channels_last else torch.contiguous_format)
    grad = torch.randn_like(yd)
    y.backward(grad.float())
    yd.backward(grad)
    assert rel(x.grad, xd.grad) < 1e-5
    assert rel(conv.weight.grad, ref.weight.grad) < 1e-5
    assert rel(conv.bias.grad, ref.bias.grad) < 1e-5


@pytest.mark.parametrize('channels_last', [False, True])
def test_weight_gradient_when_channels_equal_tiles(small_thresholds,
                                                   channels_last):
    # 4 input channels and 2 x 2 tiles of 4 x 4: the kept input transform
    # is square, so its layout must come from the input, not its shape.
    torch.manual_seed(3)
    conv = WinogradConv2d(4, 6, 3, padding=1, bias=False)
    x = torch.randn(1, 4, 8, 8)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    conv(x).square().sum().backward()
    weight = conv.weight.detach().double().requires_grad_()
    F.conv2d(x.double(), weight, padding=1).square().sum().backward()
    assert rel(conv.weight.grad, weight.grad) < 1e-5


def test_forward_function_without_bias_on_a_view(small_thresholds):
    torch.manual_seed(1)
    weight = torch.randn(7, 4, 3, 3)
    x = torch.randn(3, 4, 10, 14)[:, :, 1:, ::2]  # not contiguous
    u = winograd_conv._kernel_transform(weight, 4)
    y = winograd_conv2d_forward(x, u, None, 4, 3, 1)
    expected = F.conv2d(x.double(), weight.double(), padding=1)
    assert rel(y, expected) < 1e-5
    # A tensor of its own: an in-place op on it changes nothing else.
    assert y.is_contiguous() and y.untyped_storage().nbytes() == \
        y.numel() * y.element_size()


def test_cached_transform_follows_in_place_optimizer_steps(
        small_thresholds):
    # Fused Adam updates the weight in place without moving its version
    # counter: a cache keyed on the version would keep the old kernel.
    torch.manual_seed(2)
    conv = WinogradConv2d(6, 6, 3, padding=1)
    x = torch.randn(1, 6, 8, 8)
    optimizer = torch.optim.Adam(conv.parameters(), lr=0.1, fused=True)
    for _ in range(3):
        y = conv(x)
        expected = F.conv2d(x.double(), conv.weight.double(),
                            conv.bias.double(), padding=1)
        assert rel(y, expected) < 1e-5
        y.square().mean().backward()
        optimizer.step()
        optimizer.zero_grad()
    with torch.no_grad():
        conv.weight.mul_(-1)
    expected = F.conv2d(x.double(), conv.weight.double(), conv.bias.double(),
                        padding=1)
    assert rel(conv(x), expected) < 1e-5


def test_where_the_direct_kernel_runs(monkeypatch, small_thresholds):
    x = torch.randn(1, 6, 8, 8)
    assert not WinogradConv2d(6, 6, 3, padding=1,
                              conv_algorithm='direct').winograd_applies(x)
    assert not WinogradConv2d(6, 6, 3, stride=2,
                              padding=1).winograd_applies(x)
    assert not WinogradConv2d(6, 6, 5, padding=2).winograd_applies(x)
    assert not WinogradConv2d(6, 6, 3, padding=1,
                              groups=2).winograd_applies(x)
    assert not WinogradConv2d(6, 6, 3, padding=1).winograd_applies(x.double())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert not WinogradConv2d(6, 6, 3, padding=1).winograd_applies(x)
    monkeypatch.setattr(winograd_conv, 'MIN_CHANNELS', 8)
    assert not WinogradConv2d(6, 6, 3, padding=1).winograd_applies(x)
    monkeypatch.setattr(winograd_conv, 'MIN_CHANNELS', 4)
    monkeypatch.setattr(winograd_conv, 'MIN_TILES', 5)  # 8x8 has 4 tiles
    assert not WinogradConv2d(6, 6, 3, padding=1).winograd_applies(x)
    assert WinogradConv2d(6, 6, 3, padding=1).winograd_applies(
        torch.randn(2, 6, 8, 8))


def test_default_thresholds_pick_the_large_layers():
    # The released discriminator's 256 -> 512 4x4 layer at 33x33 and
    # VGG19's 256-channel layers at 64x64 take Winograd; the first VGG
    # layers (64 channels) do not.
    assert WinogradConv2d(256, 512, 4, padding=2).winograd_applies(
        torch.empty(1, 256, 33, 33))
    assert WinogradConv2d(256, 256, 3, padding=1).winograd_applies(
        torch.empty(1, 256, 64, 64))
    assert not WinogradConv2d(64, 64, 3, padding=1).winograd_applies(
        torch.empty(1, 64, 256, 256))


def test_state_dict_is_a_conv2d_one_and_algorithm_is_checked():
    conv = WinogradConv2d(4, 5, 3, padding=1)
    plain = nn.Conv2d(4, 5, 3, padding=1)
    assert conv.state_dict().keys() == plain.state_dict().keys()
    plain.load_state_dict(conv.state_dict())
    assert "conv_algorithm='auto'" in repr(conv)
    with pytest.raises(ValueError, match="'fast'"):
        WinogradConv2d(4, 5, 3, conv_algorithm='fast')


def test_deepcopy_and_dtype_change_drop_the_cache(small_thresholds):
    conv = WinogradConv2d(6, 6, 3, padding=1)
    x = torch.randn(1, 6, 8, 8)
    conv(x)
    assert conv._transforms
    assert copy.deepcopy(conv)._transforms == {}
    conv.double()
    assert conv._transforms == {}
    # float64 takes the direct kernel, and gives the same result.
    torch.testing.assert_close(conv(x.double()),
                               F.conv2d(x.double(), conv.weight, conv.bias,
                                        padding=1))
