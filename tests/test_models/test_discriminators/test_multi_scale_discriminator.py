import pytest
import torch
import torch.nn as nn

from deblurkit.models.discriminators import (MultiScaleDiscriminator,
                                             PatchDiscriminator)
from deblurkit.registry import DISCRIMINATORS


def test_heads_after_three_four_five_downsamplings():
    disc = DISCRIMINATORS.build(dict(type='MultiScaleDiscriminator'))
    out = disc(torch.randn(1, 3, 64, 64))
    assert isinstance(out, list)
    assert [o.shape for o in out] == [(1, 1, 11, 11), (1, 1, 7, 7),
                                      (1, 1, 5, 5)]
    # Each head sees what a PatchDiscriminator of its depth sees.
    assert disc.receptive_fields == [
        PatchDiscriminator(n_layers=n, base_channels=4).receptive_fields[0]
        for n in (3, 4, 5)
    ] == [70, 142, 286]
    trunk = [m for m in disc.stages.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.stride[0]) for c in trunk] == [(64, 2),
                                                               (128, 2),
                                                               (256, 2),
                                                               (512, 2),
                                                               (512, 2)]
    heads = [[(c.in_channels, c.out_channels) for c in head
              if isinstance(c, nn.Conv2d)] for head in disc.heads]
    assert heads == [[(256, 512), (512, 1)], [(512, 512), (512, 1)],
                     [(512, 512), (512, 1)]]
    trunk_params = sum(c_in * c_out * 16 + c_out
                       for c_in, c_out in [(3, 64), (64, 128), (128, 256),
                                           (256, 512), (512, 512)])
    head_params = sum(c_in * c_out * 16 + c_out
                      for pairs in heads for c_in, c_out in pairs)
    assert sum(p.numel()
               for p in disc.parameters()) == trunk_params + head_params


def test_first_head_equals_a_patch_discriminator():
    torch.manual_seed(0)
    patch = PatchDiscriminator(base_channels=8, norm='none')
    multi = MultiScaleDiscriminator(base_channels=8, norm='none')
    state = patch.model.state_dict()
    multi.stages[0].load_state_dict(
        {k: v for k, v in state.items() if int(k.split('.')[0]) < 8})
    multi.heads[0].load_state_dict({
        f'{int(k.split(".")[0]) - 8}.{k.split(".", 1)[1]}': v
        for k, v in state.items() if int(k.split('.')[0]) >= 8
    })
    x = torch.randn(1, 3, 48, 48)
    torch.testing.assert_close(multi(x)[0], patch(x)[0])


def test_official_batch_norm_heads():
    disc = MultiScaleDiscriminator(head_norm='batch', base_channels=8)
    for head in disc.heads:
        assert isinstance(head[1], nn.BatchNorm2d) and head[0].bias is None
    assert isinstance(disc.stages[1][1], nn.InstanceNorm2d)
    assert disc.stages[1][0].bias is not None


def test_custom_depths():
    disc = MultiScaleDiscriminator(depths=(2, 4), base_channels=8)
    assert disc.receptive_fields == [34, 142]
    assert len(disc(torch.randn(1, 3, 32, 32))) == 2


@pytest.mark.parametrize('kwargs,name', [(dict(depths=(4, 3)), 'depths'),
                                         (dict(depths=()), 'depths'),
                                         (dict(head_norm='layer'),
                                          'head_norm')])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MultiScaleDiscriminator(**kwargs)
