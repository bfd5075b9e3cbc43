"""FullResFPNGenerator: FPNGenerator plus a full-resolution stage."""
import pytest
import torch
import torch.nn.functional as F

from deblurkit.models.generators import FPNGenerator, FullResFPNGenerator
from deblurkit.models.generators.fast import has_fast_path
from deblurkit.registry import MODELS

SMALL = dict(
    backbone=dict(type='MobileNetV2'),
    neck=dict(type='FPN', num_filters=32, norm='none'),
    head=dict(type='FPNHead', num_filters=16, norm='none'))


def build(**kwargs):
    torch.manual_seed(0)
    return FullResFPNGenerator(**SMALL, **kwargs).eval()


def test_forward_is_the_documented_formula_on_the_padded_input():
    g = build(refine_channels=4)
    x = torch.rand(2, 3, 45, 70) * 2 - 1
    with torch.no_grad():
        out = g(x)
        padded = F.pad(x, (0, 26, 0, 19), mode='reflect')
        feats = g.head.features(g.neck(g.backbone(padded)))
        stem = F.relu(F.conv2d(padded, g.refine_stem[0].weight,
                               g.refine_stem[0].bias, padding=1))
        mixed = F.relu(F.conv2d(torch.cat([feats, stem], 1),
                                g.refine_mix[0].weight,
                                g.refine_mix[0].bias, padding=1))
        residual = g.head.final(mixed)[..., :45, :70]
    assert out.shape == x.shape
    assert torch.allclose(out, torch.clamp(torch.tanh(residual) + x, -1, 1),
                          atol=1e-6)
    assert g.refine_stem[0].in_channels == 3
    assert (g.refine_mix[0].in_channels, g.refine_mix[0].out_channels) == \
        (8 + 4, 8)


def test_the_refined_features_vary_inside_the_heads_2x2_blocks():
    # FPNHead's features are nearest-upsampled from half resolution, so
    # they are constant on 2x2 blocks; the full-resolution stage is not.
    g = build()
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        feats = g.head.features(g.neck(g.backbone(x)))
        mixed = g.refine_mix(torch.cat([feats, g.refine_stem(x)], 1))
    blocks = feats.unfold(2, 2, 2).unfold(3, 2, 2)
    assert torch.equal(blocks.amax((-1, -2)), blocks.amin((-1, -2)))
    spread = mixed.unfold(2, 2, 2).unfold(3, 2, 2)
    assert (spread.amax((-1, -2)) - spread.amin((-1, -2))).mean() > 1e-3


def test_zero_init_starts_from_the_identity_and_training_reaches_the_stem():
    g = FullResFPNGenerator(
        **{**SMALL, 'head': dict(SMALL['head'], zero_init_residual=True)})
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    assert torch.equal(g.eval()(x), x)
    g.train()
    opt = torch.optim.Adam(g.parameters(), lr=1e-2)
    before = g.refine_stem[0].weight.detach().clone()
    for _ in range(3):
        opt.zero_grad()
        F.l1_loss(g(x), torch.zeros_like(x)).backward()
        opt.step()
    assert not torch.equal(g.refine_stem[0].weight, before)
    assert not torch.equal(g.eval()(x), x)


def test_built_from_a_config_and_run_as_built():
    g = MODELS.build(dict(type='FullResFPNGenerator', refine_kernel=1,
                          **SMALL))
    assert isinstance(g, FPNGenerator) and g.refine_mix[0].kernel_size == \
        (1, 1)
    # Its forward is not FPNGenerator's: no fused fast path.
    assert not has_fast_path(g)
    assert has_fast_path(FPNGenerator(**SMALL))


@pytest.mark.parametrize('kwargs, match', [
    (dict(refine_channels=0), 'refine_channels'),
    (dict(refine_kernel=2), 'refine_kernel'),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FullResFPNGenerator(**SMALL, **kwargs)


def test_a_head_without_features_is_refused():
    from deblurkit.models.heads import FPNHead
    from deblurkit.registry import HEADS

    class FinalOnlyHead(FPNHead):  # a head that hides its features
        features = None

    HEADS.register_module(name='_TestFinalOnlyHead', module=FinalOnlyHead,
                          force=True)
    try:
        with pytest.raises(ValueError, match='features'):
            FullResFPNGenerator(**{**SMALL, 'head': dict(
                SMALL['head'], type='_TestFinalOnlyHead')})
    finally:
        HEADS.module_dict.pop('_TestFinalOnlyHead')


def test_inputs_are_checked_as_fpngenerator_checks_them():
    g = FullResFPNGenerator(**SMALL, pad_mode=None)
    with pytest.raises(ValueError, match='not a multiple of 32'):
        g(torch.zeros(1, 3, 40, 64))
    with pytest.raises(ValueError, match='FullResFPNGenerator expects'):
        g(torch.zeros(3, 64, 64))
