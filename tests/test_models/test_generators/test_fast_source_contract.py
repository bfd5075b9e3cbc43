"""What the fast path reads from a generator is declared and checked."""
import re
import types

import pytest
import torch
import torch.nn as nn

from deblurkit.models.generators import FPNGenerator
from deblurkit.models.generators.fast import optimize_generator
from deblurkit.models.generators.fast.source_contract import (
    GENERATOR_READS, SourceContractError, read_source)


def _generator(**neck):
    torch.manual_seed(0)
    return FPNGenerator(
        backbone=dict(type='MobileNetV2'),
        neck=dict(type='FPN', num_filters=32, **neck),
        head=dict(type='FPNHead', num_filters=16)).eval()


def test_the_parts_are_the_generators_own_layers():
    generator = _generator()
    source = read_source(generator)
    neck, head = generator.neck, generator.head
    parts = source.decoder
    assert source.backbone is generator.backbone
    assert source.pad_mode == generator.pad_mode
    assert [lat is getattr(neck, f'lateral{i}')
            for i, lat in enumerate(parts.laterals)] == [True] * 5
    assert parts.top_down[1].conv is neck.td2[0]
    assert parts.top_down[1].norm is neck.td2[1]
    assert parts.branches[3] == (head.head4.block0, head.head4.block1)
    assert parts.smooth.conv is head.smooth[0]
    assert parts.smooth2.norm is head.smooth2[1]
    assert parts.final is head.final


def test_without_a_norm_the_block_has_none():
    parts = read_source(
        FPNGenerator(backbone=dict(type='MobileNetV2'),
                     neck=dict(type='FPN', num_filters=32, norm='none'),
                     head=dict(type='FPNHead', num_filters=16))).decoder
    assert [block.norm for block in parts.top_down] == [None] * 3


def test_an_fpn_without_top_down_convs_keeps_its_layers():
    generator = _generator(top_down_convs=False)
    assert read_source(generator).decoder is None
    x = torch.rand(1, 3, 64, 96) * 2 - 1
    with torch.inference_mode():
        got = optimize_generator(generator)(x)
        expected = generator(x)
    assert (got - expected).abs().max().item() < 1e-4


@pytest.mark.parametrize('part, replacement, named', [
    # A norm the decoder does not reproduce: it must not be taken for none.
    ('neck.td1', lambda: nn.Sequential(
        nn.Conv2d(32, 32, 3, padding=1), nn.GroupNorm(4, 32), nn.ReLU()),
     'FPN.td1'),
    ('neck.td3', lambda: nn.Sequential(
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU6()), 'FPN.td3'),
    ('head.final', lambda: nn.Conv2d(8, 3, 5, padding=2), 'FPNHead.final'),
    ('head.smooth2', lambda: nn.Sequential(
        nn.Conv2d(16, 8, 3, padding=1, stride=2), nn.ReLU()),
     'FPNHead.smooth2[0]'),
    ('neck.lateral2', lambda: nn.Conv2d(32, 32, 3, padding=1),
     'FPN.lateral2'),
])
def test_a_changed_structure_is_refused_by_name(part, replacement, named):
    generator = _generator()
    owner, name = part.split('.')
    setattr(getattr(generator, owner), name, replacement())
    with pytest.raises(SourceContractError, match=re.escape(named) + ' as'):
        optimize_generator(generator)


def test_a_missing_attribute_is_named():
    generator = _generator()
    fake = types.SimpleNamespace(
        **{key: getattr(generator, key) for key in GENERATOR_READS
           if key != 'global_residual'})
    with pytest.raises(SourceContractError,
                       match=r'SimpleNamespace\.global_residual'):
        read_source(fake)
    del generator.head.head3.block1
    with pytest.raises(SourceContractError,
                       match=r'FPNHead\.head3\.block1 as an attribute'):
        read_source(generator)
