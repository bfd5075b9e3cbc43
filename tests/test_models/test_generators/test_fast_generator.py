"""The fast inference path equals the generator it was built from."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from conftest import needs_bf16_convolutions

from deblurkit.models.generators import (FPNGenerator,
                                         generator_state_from_checkpoint)
from deblurkit.models.generators.fast import (UpsampledConv3x3,
                                              add_upsampled_,
                                              optimize_generator)
from deblurkit.runtime import fast_inference
from deblurkit.models.generators.fast.layers import FastNorm, FusedConv

MOBILENET = dict(backbone=dict(type='MobileNetV2'))
MOBILENET_DSC = dict(
    backbone=dict(type='MobileNetV2'),
    neck=dict(type='FPN', conv_type='dsc'),
    head=dict(type='FPNHead', conv_type='dsc'))
# timm's BatchNormAct2d layers (norm and activation in one module).
TIMM = dict(
    backbone=dict(type='TimmBackbone', model_name='efficientnet_b0'),
    neck=dict(type='FPN', num_filters=64),
    head=dict(type='FPNHead', num_filters=32))
INCEPTION = dict(
    backbone=dict(type='InceptionResNetV2'),
    neck=dict(type='FPN', num_filters=256),
    head=dict(type='FPNHead', num_filters=128))
GENERATORS = dict(
    mobilenet=MOBILENET,
    mobilenet_dsc=MOBILENET_DSC,
    timm=TIMM,
    inception=INCEPTION)


def _small_generator(conv_type='conv'):
    """A narrow FPN-MobileNet (F=32, C=16) for quick checks."""
    return FPNGenerator(
        backbone=dict(type='MobileNetV2'),
        neck=dict(type='FPN', num_filters=32, conv_type=conv_type),
        head=dict(type='FPNHead', num_filters=16, conv_type=conv_type))


def _randomize_norms(generator, seed=0):
    """Non-trivial running buffers and affine weights, so folding shows."""
    rng = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in generator.modules():
            if getattr(layer, 'running_mean', None) is not None:
                layer.running_mean.copy_(
                    torch.rand(layer.running_mean.shape, generator=rng) - 0.5)
                layer.running_var.copy_(
                    torch.rand(layer.running_var.shape, generator=rng) + 0.5)
            if isinstance(layer, nn.BatchNorm2d) and layer.affine:
                layer.weight.copy_(
                    torch.rand(layer.weight.shape, generator=rng) + 0.5)
                layer.bias.copy_(
                    torch.rand(layer.bias.shape, generator=rng) - 0.5)
    return generator


@pytest.fixture(scope='module', params=sorted(GENERATORS))
def generator(request):
    torch.manual_seed(0)
    return _randomize_norms(FPNGenerator(**GENERATORS[request.param])).eval()


def _images(n=2, h=128, w=128, seed=1):
    rng = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, h, w, generator=rng) * 2 - 1
    # Different images: the second one is a flipped, darker variant.
    if n > 1:
        x[1] = 0.6 * x[1].flip(-1) - 0.2
    return x


@pytest.mark.parametrize('norm_stats', ['per_image', 'running'])
def test_fast_path_matches_the_generator(generator, norm_stats):
    generator.norm_stats = norm_stats
    x = _images()
    with torch.inference_mode():
        expected = generator(x)
        got = optimize_generator(generator)(x)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert (got - expected).abs().max().item() < 1e-4
    # The two images really differ (the batch test is not vacuous).
    assert (expected[0] - expected[1]).abs().max().item() > 0.1


@pytest.mark.parametrize('conv_type', ['conv', 'dsc'])
@pytest.mark.parametrize('norm_stats', ['per_image', 'running'])
def test_rewrites_are_exact_in_float64(norm_stats, conv_type):
    # In float64, rounding is far below any mistake in the algebra
    # (folding, split smooth conv, low-resolution upsampled convs).
    torch.manual_seed(0)
    generator = _randomize_norms(_small_generator(conv_type)).double()
    generator.norm_stats = norm_stats
    x = _images(h=64, w=96).double()
    with torch.inference_mode():
        expected = generator.eval()(x)
        got = optimize_generator(generator, dtype=torch.float64)(x)
    assert (got - expected).abs().max().item() < 1e-9


def test_matches_the_official_outputs(official_mobilenet_state,
                                      mobilenet_fixture):
    generator = FPNGenerator(**MOBILENET)
    state, _ = generator_state_from_checkpoint(
        {'model': official_mobilenet_state})
    generator.load_state_dict(state)
    x = mobilenet_fixture['input']
    with torch.inference_mode():
        per_image = optimize_generator(generator, norm_stats='per_image')(x)
        running = optimize_generator(generator, norm_stats='running')(x)
    assert (per_image - mobilenet_fixture['output_train_mode']).abs().max(
    ).item() < 1e-4
    assert (running - mobilenet_fixture['output_eval_mode']).abs().max(
    ).item() < 1e-4


def test_sizes_not_multiple_of_32_and_batch_invariance():
    torch.manual_seed(0)
    generator = _small_generator().eval()
    fast = optimize_generator(generator)
    x = _images(h=70, w=101)
    with torch.inference_mode():
        expected = generator(x)
        together = fast(x)
        alone = torch.cat([fast(image[None]) for image in x])
    assert together.shape == x.shape
    assert (together - expected).abs().max().item() < 1e-4
    assert (together - alone).abs().max().item() < 1e-6


def test_the_source_generator_is_left_untouched():
    torch.manual_seed(0)
    generator = _randomize_norms(FPNGenerator(**MOBILENET_DSC)).train()
    before = {k: v.clone() for k, v in generator.state_dict().items()}
    fast = optimize_generator(generator, norm_stats='running')
    with torch.inference_mode():
        fast(_images(h=64, w=64))
    after = generator.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert generator.training and generator.norm_stats == 'per_image'
    assert not any(p.requires_grad for p in fast.parameters())
    # The weights are copies, not views of the generator's.
    pointers = {p.data_ptr() for p in generator.state_dict().values()}
    assert not pointers & {t.data_ptr() for t in fast.state_dict().values()}


def test_running_mode_folds_every_norm_into_a_convolution():
    fast = optimize_generator(FPNGenerator(**MOBILENET), norm_stats='running')
    norms = (FastNorm, nn.modules.batchnorm._BatchNorm,
             nn.modules.instancenorm._InstanceNorm)
    assert not [m for m in fast.modules() if isinstance(m, norms)]
    convs = [m for m in fast.modules() if isinstance(m, FusedConv)]
    assert convs and not any(c.per_image for c in convs)


@needs_bf16_convolutions
def test_bfloat16_is_as_close_to_float32_as_autocast():
    torch.manual_seed(0)
    generator = _small_generator().eval()
    x = _images(h=64, w=64)
    with torch.inference_mode():
        expected = generator(x)
        with torch.autocast('cpu', torch.bfloat16):
            autocast = generator(x).float()
        got = optimize_generator(generator, dtype='bf16')(x)
    assert got.dtype == torch.float32
    error = (got - expected).abs().mean().item()
    assert 0 < error < 1.5 * (autocast - expected).abs().mean().item()


def test_optimize_generator_names_bad_arguments():
    generator = FPNGenerator(**MOBILENET)
    with pytest.raises(ValueError, match='dtype'):
        optimize_generator(generator, dtype='int8')
    with pytest.raises(ValueError, match='norm_stats'):
        optimize_generator(generator, norm_stats='batch')
    with pytest.raises(TypeError, match='FPNGenerator'):
        optimize_generator(nn.Conv2d(3, 3, 3))


@pytest.mark.parametrize('scale', [2, 3, 4, 8])
@pytest.mark.parametrize('depthwise', [False, True])
def test_upsampled_conv_equals_conv_of_upsampled_map(scale, depthwise):
    torch.manual_seed(scale)
    cin = 6
    cout = cin if depthwise else 5
    weight = torch.randn(cout, 1 if depthwise else cin, 3, 3,
                         dtype=torch.float64)
    bias = torch.randn(cout, dtype=torch.float64)
    x = torch.randn(2, cin, 5, 7, dtype=torch.float64)
    groups = cin if depthwise else 1
    expected = F.conv2d(
        F.interpolate(x, scale_factor=scale, mode='nearest'), weight, bias,
        padding=1, groups=groups)
    layer = UpsampledConv3x3(weight, scale, bias, groups=groups)
    assert (layer(x) - expected).abs().max().item() < 1e-12
    # Accumulating into an existing (channels-last) map.
    base = torch.randn_like(expected).contiguous(
        memory_format=torch.channels_last)
    total = layer(x, out=base.clone(), accumulate=True)
    assert (total - (base + expected)).abs().max().item() < 1e-12


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_upsampled_conv_accumulates_16_bit_maps_exactly(dtype):
    # 16-bit maps take the copy-then-add route (a strided 16-bit add has no
    # vectorised CPU kernel); each sum must be the one rounding of
    # ``base + phase`` that an element-wise add gives, and ``out`` itself
    # must be written (channels-last kept).
    torch.manual_seed(0)
    weight = torch.randn(16, 8, 3, 3)
    bias = torch.randn(16)
    layer = UpsampledConv3x3(weight, 2, bias)
    layer_lp = UpsampledConv3x3(weight.to(dtype), 2, bias.to(dtype))
    x = torch.randn(1, 8, 6, 10).to(dtype)
    base = torch.randn(1, 16, 12, 20).to(dtype).contiguous(
        memory_format=torch.channels_last)
    out = base.clone()
    total = layer_lp(x, out=out, accumulate=True)
    assert total is out
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out, base + layer_lp(x))
    assert not torch.equal(out, base)
    reference = base.float() + layer(x.float())
    assert ((out.float() - reference).abs() <=
            0.03 * reference.abs() + 0.05).all()


def test_add_upsampled_in_place():
    x = torch.randn(1, 4, 8, 12).contiguous(memory_format=torch.channels_last)
    low = torch.randn(1, 4, 4, 6)
    expected = x + F.interpolate(low, scale_factor=2, mode='nearest')
    assert add_upsampled_(x, low) is x
    assert torch.equal(x, expected)
    with pytest.raises(ValueError, match='upsampled'):
        add_upsampled_(x, torch.randn(1, 4, 3, 6))


def test_per_image_norm_is_precise_on_large_channels_last_maps():
    from deblurkit.models.generators.fast.layers import per_image_norm
    torch.manual_seed(0)
    # Mean far from zero: the sums must not lose the variance.
    x = torch.randn(1, 8, 368, 640) * 2 + 3
    expected = F.instance_norm(x.double(), eps=1e-5)
    got = per_image_norm(
        x.contiguous(memory_format=torch.channels_last), None, None, 1e-5)
    assert (got.double() - expected).abs().max().item() < 5e-6


@pytest.mark.parametrize('channels', [24, 144])
def test_blocked_image_statistics_are_precise(channels):
    from deblurkit.models.generators.fast.layers import _precise_stats
    torch.manual_seed(0)
    # 260 * 131 pixels: not a multiple of the 256-row blocks; 144 channels
    # take groups of 32 columns and a last group of 16.
    x = torch.randn(1, channels, 260, 131) * 0.5 + 4
    mean, var = _precise_stats(x.contiguous(memory_format=torch.channels_last))
    assert mean.dtype == var.dtype == torch.float32
    expected_var, expected_mean = torch.var_mean(
        x.double(), dim=(0, 2, 3), correction=0)
    assert (mean.double() - expected_mean).abs().max().item() < 1e-6
    assert ((var.double() - expected_var) / expected_var).abs().max() < 1e-5


@pytest.mark.parametrize('act', [None, 'relu', 'relu6'])
def test_per_image_norm_act_equals_norm_then_activation(act):
    from deblurkit.models.generators.fast.layers import per_image_norm_act
    torch.manual_seed(0)
    x = (torch.randn(1, 16, 200, 180) * 3 + 1).contiguous(
        memory_format=torch.channels_last)
    weight, bias = torch.rand(16) + 0.5, torch.randn(16)
    expected = F.instance_norm(
        x.double(), weight=weight.double(), bias=bias.double(), eps=1e-5)
    if act == 'relu':
        expected = expected.relu()
    elif act == 'relu6':
        expected = expected.clamp(0, 6)
    got = per_image_norm_act(x, weight, bias, 1e-5, act)
    assert got.shape == x.shape and got.dtype == torch.float32
    assert (got.double() - expected).abs().max().item() < 1e-5
    # Not channels-last (the general path): the same numbers.
    plain = per_image_norm_act(x.contiguous(), weight, bias, 1e-5, act)
    assert (plain.double() - expected).abs().max().item() < 1e-5


@pytest.mark.parametrize('size', [24, 112])
def test_expanding_conv_takes_its_statistics_from_the_input(
        size, monkeypatch):
    from deblurkit.models.generators.fast import layers
    torch.manual_seed(0)
    conv = nn.Conv2d(16, 96, 1)
    norm = nn.BatchNorm2d(96)
    nn.init.uniform_(norm.weight, 0.5, 1.5)
    nn.init.normal_(norm.bias)
    fused = FusedConv.from_layers(conv, norm, 'relu6', norm_stats='per_image')
    assert fused.stats_from_input
    calls = []
    original = FusedConv._image_affine_weights
    monkeypatch.setattr(FusedConv, '_image_affine_weights',
                        lambda self, x: calls.append(x.shape) or original(
                            self, x))
    x = (torch.randn(1, 16, size, size) * 2 + 1).contiguous(
        memory_format=torch.channels_last)
    with torch.no_grad():
        expected = F.instance_norm(
            F.conv2d(x.double(), conv.weight.double()),
            weight=norm.weight.double(),
            bias=norm.bias.double(),
            eps=norm.eps).clamp(0, 6)
        got = fused(x)
    assert got.shape == (1, 96, size, size)
    assert (got.double() - expected).abs().max().item() < 1e-5
    # Only outputs of GRAM_STATS_ELEMENTS values or more take the
    # covariance path.
    taken = 96 * size * size >= layers.GRAM_STATS_ELEMENTS
    assert calls == ([(1, 16, size, size)] if taken else [])
    assert taken == (size == 112)


@pytest.mark.parametrize('kind', ['Block35', 'Block8', 'Block8_no_relu'])
@pytest.mark.parametrize('channels_last', [True, False])
def test_inception_residual_blocks_are_fused(kind, channels_last):
    import copy
    import importlib

    from deblurkit.models.generators.fast.layers import ScaledResidualBlock
    from deblurkit.models.generators.fast.rewrite import fuse_module_tree
    # (timm.models.inception_resnet_v2 is also the name of a function.)
    irv2 = importlib.import_module('timm.models.inception_resnet_v2')
    torch.manual_seed(0)
    if kind == 'Block35':
        block, channels = irv2.Block35(scale=0.17), 320
    else:
        block, channels = irv2.Block8(
            scale=0.2, no_relu=kind.endswith('no_relu')), 2080
    for module in block.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.normal_(module.bias)
            module.running_mean.normal_()
            module.running_var.uniform_(0.5, 2)
    block.eval()
    parent = nn.Sequential(copy.deepcopy(block))  # fused in place
    fuse_module_tree(parent, 'running')
    fast = parent[0]
    assert isinstance(fast, ScaledResidualBlock)
    assert fast.act_name == (None if kind == 'Block8_no_relu' else 'relu')
    x = torch.randn(1, channels, 9, 11)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
        fast.weight = fast.weight.contiguous(
            memory_format=torch.channels_last)
    with torch.no_grad():
        expected = block.double()(x.double())
        got = fast(x)
    assert got.shape == x.shape and got.dtype == torch.float32
    assert (got.double() - expected).abs().max().item() < 1e-4
    if kind == 'Block8_no_relu':
        assert got.min().item() < 0  # no activation after the sum


def test_only_timm_residual_blocks_are_replaced():
    from deblurkit.models.generators.fast.layers import ScaledResidualBlock

    class Block35(nn.Module):  # same name and parts, another forward
        scale = 0.5

        def __init__(self):
            super().__init__()
            self.branch0 = nn.Conv2d(4, 4, 1)
            self.conv2d = nn.Conv2d(4, 4, 1)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.conv2d(self.branch0(x)) - x)

    assert ScaledResidualBlock.from_block(Block35()) is None


def test_covariance_of_pixels_survives_a_large_mean():
    from deblurkit.models.generators.fast.layers import _mean_and_covariance
    torch.manual_seed(0)
    pixels = torch.randn(10000, 12) @ torch.randn(12, 12) * 0.1 + 50
    mean, cov = _mean_and_covariance(pixels)
    expected = pixels.double()
    expected_mean = expected.mean(0)
    centred = expected - expected_mean
    expected_cov = centred.T @ centred / len(pixels)
    assert mean.dtype == cov.dtype == torch.float64
    assert (mean - expected_mean).abs().max().item() < 1e-5
    diag = expected_cov.diagonal()
    assert ((cov.diagonal() - diag) / diag).abs().max().item() < 1e-4
    assert (cov - expected_cov).abs().max().item() < 1e-4 * diag.max()


def test_fast_generator_for_caches_and_follows_the_weights(monkeypatch):
    from deblurkit.models.generators.fast import fast_generator_for
    torch.manual_seed(0)
    generator = _small_generator().eval()
    first = fast_generator_for(generator)
    assert first is not generator and fast_generator_for(generator) is first
    # Loading weights (in place) or changing the statistics rebuilds it.
    state = {k: v + 0.01 if v.is_floating_point() else v
             for k, v in generator.state_dict().items()}
    generator.load_state_dict(state)
    second = fast_generator_for(generator)
    assert second is not first
    x = _images(h=64, w=64)
    with torch.inference_mode():
        assert (second(x) - generator(x)).abs().max().item() < 1e-4
    generator.norm_stats = 'running'
    assert fast_generator_for(generator).norm_stats == 'running'
    # Train mode, or the switch off: the generator itself.
    with fast_inference(False):
        assert fast_generator_for(generator) is generator
    assert fast_generator_for(generator.train()) is generator


def test_batched_per_image_layers_match_without_the_cpu_split():
    # On a GPU a batch runs through the layers at once (var_mean + affine);
    # the CPU path splits it. Calling the parts directly covers both.
    torch.manual_seed(0)
    generator = _randomize_norms(_small_generator()).eval()
    fast = optimize_generator(generator)
    x = _images(h=64, w=96)
    with torch.inference_mode():
        expected = generator.head(generator.neck(generator.backbone(x)))
        got = fast.head(fast.neck(fast.backbone(x)))
    assert (got - expected).abs().max().item() < 1e-4
