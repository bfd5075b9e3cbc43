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
