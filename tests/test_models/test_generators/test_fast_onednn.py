"""The oneDNN operators of the fast path and their public-operator fallback."""
import warnings

import pytest
import torch
import torch.nn.functional as F

from test_fast_generator import _small_generator

from deblurkit.models.generators.fast import onednn, optimize_generator

ACTS = [None, 'relu', 'relu6']


def _reference_act(y, act):
    return {None: y, 'relu': y.relu(), 'relu6': y.clamp(0, 6)}[act]


@pytest.fixture
def op_calls(monkeypatch):
    """Counts the calls of the private operators (both overloads)."""
    calls = []
    real = onednn._op()
    assert onednn.operators_available()  # its check runs uncounted

    class Counting:

        def __call__(self, *args):
            calls.append('unary')
            return real(*args)

        def binary(self, *args):
            calls.append('binary')
            return real.binary(*args)

    monkeypatch.setattr(onednn, '_op', lambda: Counting())
    return calls


def _channels_last(*shape, seed=0):
    rng = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=rng).contiguous(
        memory_format=torch.channels_last)


@pytest.mark.parametrize('act', ACTS)
def test_each_function_equals_its_fallback(act, op_calls):
    x = _channels_last(1, 8, 20, 24)
    other = _channels_last(1, 16, 20, 24, seed=1)
    weight3, weight1 = torch.randn(16, 8, 3, 3), torch.randn(16, 8, 1, 1)
    bias, scale, shift = torch.randn(16), torch.rand(8) + 0.5, torch.randn(8)
    expected = [
        _reference_act(F.conv2d(x.double(), weight3.double(), bias.double(),
                                padding=1), act),
        _reference_act(x.double() * scale.double().view(1, -1, 1, 1) +
                       shift.double().view(1, -1, 1, 1), act),
    ]

    def run():
        return [
            onednn.conv2d_act(x, weight3, bias, (1, 1), (1, 1), (1, 1), 1,
                              act),
            onednn.channel_affine_act(x, scale, shift, act),
        ]

    fused = run()
    assert len(op_calls) == 2  # both ran in oneDNN
    with onednn.fallback():
        plain = run()
    assert len(op_calls) == 2  # the fallback calls no private operator
    for got, alt, want in zip(fused, plain, expected):
        assert got.shape == alt.shape == want.shape
        assert (got.double() - want).abs().max().item() < 1e-4
        assert (alt.double() - want).abs().max().item() < 1e-4
    if act != 'relu6':  # the sum is fused with ReLU or nothing after it
        want = _reference_act(
            F.conv2d(x.double(), weight1.double(), bias.double()) +
            other.double(), act)
        got = onednn.conv1x1_add_act(x, other, weight1, bias, act)
        assert op_calls[-1] == 'binary'
        with onednn.fallback():
            alt = onednn.conv1x1_add_act(x, other, weight1, bias, act)
        assert (got.double() - want).abs().max().item() < 1e-4
        assert (alt.double() - want).abs().max().item() < 1e-4


def test_float64_and_module_activations_take_the_fallback(op_calls):
    x = _channels_last(1, 4, 6, 6).double()
    weight = torch.randn(4, 4, 1, 1, dtype=torch.float64)
    got = onednn.conv2d_act(x, weight, None, (1, 1), (0, 0), (1, 1), 1,
                            'relu')
    assert op_calls == []
    assert torch.equal(got, F.conv2d(x, weight).relu())
    assert not onednn.fuses(x.float(), act=torch.nn.GELU())


@pytest.mark.parametrize('norm_stats', ['per_image', 'running'])
@pytest.mark.parametrize('conv_type', ['conv', 'dsc'])
def test_fast_generator_with_the_fallback(norm_stats, conv_type, op_calls):
    torch.manual_seed(0)
    generator = _small_generator(conv_type).eval()
    generator.norm_stats = norm_stats
    fast = optimize_generator(generator)
    # 96x96 maps at stride 2: the large-map per-image norm path too.
    x = torch.rand(1, 3, 192, 192, generator=torch.Generator().manual_seed(1))
    x = x * 2 - 1
    with torch.inference_mode():
        expected = generator(x)
        fused = fast(x)
        assert op_calls  # the oneDNN path really ran
        calls = len(op_calls)
        with onednn.fallback():
            plain = fast(x)
        assert len(op_calls) == calls
    assert (fused - plain).abs().max().item() < 1e-4
    assert (fused - expected).abs().max().item() < 1e-4
    assert (plain - expected).abs().max().item() < 1e-4


def test_broken_operators_are_detected_once(monkeypatch):
    def broken():
        raise RuntimeError('mkldnn::_convolution_pointwise() expected 11 '
                           'arguments')

    monkeypatch.setattr(onednn, '_check_operators', broken)
    onednn.operators_available.cache_clear()
    try:
        with pytest.warns(UserWarning, match='not usable.*expected 11'):
            assert onednn.operators_available() is False
        with warnings.catch_warnings():
            warnings.simplefilter('error')  # no second warning
            x = _channels_last(1, 4, 5, 5)
            weight = torch.randn(4, 4, 1, 1)
            assert not onednn.fuses(x)
            got = onednn.conv2d_act(x, weight, None, (1, 1), (0, 0), (1, 1),
                                    1, 'relu6')
        assert torch.equal(got, F.conv2d(x, weight).clamp(0, 6))
    finally:
        onednn.operators_available.cache_clear()


@pytest.mark.parametrize('flags, expected', [
    ({'avx512f', 'avx512_bf16'}, True),
    ({'amx_tile', 'amx_bf16'}, True),
    ({'fp', 'asimd', 'bf16'}, True),
    ({'avx512f', 'avx512bw', 'avx512vl'}, False),  # oneDNN would emulate
    (set(), False),
])
def test_native_bf16_reads_the_cpu_flags(monkeypatch, flags, expected):
    monkeypatch.setattr(onednn, '_cpu_flags', lambda: frozenset(flags))
    assert onednn.native_bf16() is expected


@pytest.mark.parametrize('flags, expected', [
    ({'avx512f', 'avx512_bf16'}, True),  # native
    ({'avx512f', 'avx512bw', 'avx512vl', 'avx512dq'}, True),  # emulated
    ({'avx2', 'avx_ne_convert'}, True),  # emulated
    ({'avx512f', 'avx512bw', 'avx512vl'}, False),  # no avx512dq
    ({'avx2', 'fma', 'vaes'}, False),  # AVX2 only (AMD Zen 3)
    (set(), False),
])
def test_bf16_convolutions_reads_the_cpu_flags(monkeypatch, flags,
                                               expected):
    monkeypatch.setattr(onednn, '_cpu_flags', lambda: frozenset(flags))
    assert onednn.bf16_convolutions() is expected


def test_the_bf16_fast_path_is_refused_where_onednn_cannot_run_it(
        monkeypatch):
    from deblurkit.models.generators.fast import generator as fast_module
    from test_fast_generator import _small_generator
    monkeypatch.setattr(fast_module, 'bf16_convolutions', lambda: False)
    with pytest.raises(RuntimeError, match='run in fp32'):
        fast_module.optimize_generator(_small_generator('conv').eval(),
                                       dtype='bf16')
    # float32 is unaffected
    fast_module.optimize_generator(_small_generator('conv').eval())
