import pytest
import torch

from deblurkit.models.discriminators import (DoubleScaleDiscriminator,
                                             PatchDiscriminator)
from deblurkit.registry import DISCRIMINATORS


def test_pair_of_patch_and_full():
    disc = DISCRIMINATORS.build(dict(type='DoubleScaleDiscriminator'))
    assert isinstance(disc.patch, PatchDiscriminator)
    assert (disc.patch.n_layers, disc.full.n_layers) == (3, 5)
    assert disc.receptive_fields == [70, 286]
    n_params = sum(p.numel() for p in disc.parameters())
    assert n_params == sum(
        p.numel() for p in PatchDiscriminator(n_layers=3).parameters()) + sum(
            p.numel() for p in PatchDiscriminator(n_layers=5).parameters())
    assert {key.split('.')[0] for key in disc.state_dict()} == {
        'patch', 'full'}


def test_returns_patch_then_full_map():
    disc = DoubleScaleDiscriminator(base_channels=8)
    x = torch.randn(2, 3, 64, 64)
    out = disc(x)
    assert [o.shape for o in out] == [(2, 1, 11, 11), (2, 1, 5, 5)]
    torch.testing.assert_close(out[0], disc.patch(x)[0])
    torch.testing.assert_close(out[1], disc.full(x)[0])


def test_shared_and_per_branch_arguments():
    disc = DoubleScaleDiscriminator(
        full=dict(n_layers=4), norm='none', base_channels=8)
    assert disc.full.n_layers == 4 and disc.full.norm == 'none'
    assert disc.patch.norm == 'none'
    assert disc.receptive_fields == [70, 142]
    patch_first_conv = disc.patch.model[0]
    assert patch_first_conv.out_channels == 8


def test_bad_branch_argument():
    with pytest.raises(TypeError, match='full'):
        DoubleScaleDiscriminator(full=5)


def test_winograd_layers_match_the_direct_ones(monkeypatch):
    # conv_algorithm='auto' (the default) builds the stride-1 4x4 layers
    # as WinogradConv2d: same state_dict keys, same maps and gradients as
    # 'direct' within float32 rounding.
    from deblurkit.models.layers import winograd_conv
    monkeypatch.setattr(winograd_conv, 'MIN_CHANNELS', 8)
    monkeypatch.setattr(winograd_conv, 'MIN_TILES', 1)
    torch.manual_seed(0)
    auto = DoubleScaleDiscriminator(base_channels=8)
    direct = DoubleScaleDiscriminator(base_channels=8, conv_algorithm='direct')
    assert auto.state_dict().keys() == direct.state_dict().keys()
    direct.load_state_dict(auto.state_dict())
    winograd = [m for m in auto.modules()
                if isinstance(m, winograd_conv.WinogradConv2d)
                and m.conv_algorithm == 'auto']
    # The stride-1 layer before the logit of each branch (the logit
    # convolution, one output channel, is a layer of its own).
    assert len(winograd) == 2
    x = torch.randn(2, 3, 64, 64)
    assert winograd[0].winograd_applies(torch.empty(2, 32, 9, 9))
    outs, grads = [], []
    for disc in (auto, direct):
        xi = x.clone().requires_grad_()
        out = disc(xi)
        sum(o.square().sum() for o in out).backward()
        outs.append(out)
        grads.append(xi.grad)
    for a, d in zip(*outs):
        torch.testing.assert_close(a, d, rtol=1e-4, atol=1e-5)
    err = (grads[0] - grads[1]).norm() / grads[1].norm()
    assert 0 < err < 1e-5
    with pytest.raises(ValueError, match='conv_algorithm'):
        DoubleScaleDiscriminator(conv_algorithm='fast')
