"""oneDNN's fused convolutions: the fast path's only private torch operators.

torch reaches oneDNN's convolution with post-ops (an activation, or a sum
and then an activation, applied as the output is written) only through the
private operators ``torch.ops.mkldnn._convolution_pointwise`` (and its
``.binary`` overload), which torch.compile's CPU backend uses and whose
signatures may change from one torch release to the next. They are called
here and nowhere else, and every function here has a fallback made of
public operators (``F.conv2d``, then the sum and the activation in place)
that computes the same function (only the float rounding differs). The
fallback runs when:

- the operators are missing or fail a check made once, on first use,
  against ``F.conv2d`` (a torch built without oneDNN, or a signature that
  changed): a warning says so once;
- the tensors are not CPU tensors of a dtype oneDNN fuses (:data:`DTYPES`),
  or the activation is not one oneDNN applies here (:data:`ACTIVATIONS`);
- :func:`fallback` forces it (tests compare both).

It also answers whether the CPU computes bfloat16 natively
(:func:`native_bf16`), for the callers that refuse to run bf16 otherwise.
"""
import contextlib
import functools
import warnings

import torch
import torch.nn.functional as F

# Activations by name, and their oneDNN post-op (attribute and scalars).
ACTIVATIONS = {
    None: ('none', []),
    'relu': ('relu', []),
    'relu6': ('hardtanh', [0.0, 6.0]),
}
# Input dtypes the fused kernels are used for.
DTYPES = (torch.float32, torch.bfloat16)

_state = {'forced_off': False}


def activate_(x, act):
    """``act(x)`` in place, for an activation of :data:`ACTIVATIONS`."""
    if act is None:
        return x
    if act == 'relu':
        return x.relu_()
    if act == 'relu6':
        return x.clamp_(0, 6)
    raise ValueError(f'unknown activation {act!r}; expected one of '
                     f'{sorted(a for a in ACTIVATIONS if a)}')


def _op():
    return torch.ops.mkldnn._convolution_pointwise


def _check_operators():
    """Run both operators once on a tiny input; True if they agree with
    ``F.conv2d``."""
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(1, 4, 5, 6, generator=rng).contiguous(
        memory_format=torch.channels_last)
    other = torch.randn(1, 8, 5, 6, generator=rng).contiguous(
        memory_format=torch.channels_last)
    weight = torch.randn(8, 4, 1, 1, generator=rng)
    bias = torch.randn(8, generator=rng)
    unary = _op()(x, weight, bias, [0, 0], [1, 1], [1, 1], 1, 'relu', [], '')
    binary = _op().binary(x, other, weight, bias, [0, 0], [1, 1], [1, 1], 1,
                          'add', None, 'relu', [], None)
    expected = F.conv2d(x, weight, bias)
    return (torch.allclose(unary, expected.relu(), atol=1e-5)
            and torch.allclose(binary, (expected + other).relu(), atol=1e-5))


@functools.lru_cache(maxsize=None)
def operators_available():
    """Whether the private oneDNN operators exist and compute what they
    should (checked once per process)."""
    try:
        ok = torch.backends.mkldnn.is_available() and _check_operators()
    except (AttributeError, RuntimeError, TypeError) as err:
        reason = f'{type(err).__name__}: {err}'.splitlines()[0]
        ok = False
    else:
        reason = 'they disagree with F.conv2d'
    if not ok:
        warnings.warn(
            "oneDNN's fused convolutions (torch.ops.mkldnn."
            f'_convolution_pointwise) are not usable in torch '
            f'{torch.__version__} ({reason}); the fast path runs plain '
            'convolutions instead (same results, slower on the CPU).')
    return ok


@contextlib.contextmanager
def fallback():
    """Use the public-operator fallback inside the ``with`` block."""
    previous = _state['forced_off']
    _state['forced_off'] = True
    try:
        yield
    finally:
        _state['forced_off'] = previous


def fuses(*tensors, act=None):
    """Whether the fused kernels run for ``tensors`` and ``act``: CPU
    tensors of one dtype of :data:`DTYPES`, an activation of
    :data:`ACTIVATIONS`, operators usable and not forced off."""
    if _state['forced_off'] or not (act is None or isinstance(act, str)) \
            or act not in ACTIVATIONS:
        return False
    dtype = tensors[0].dtype
    if dtype not in DTYPES or any(t.device.type != 'cpu' or t.dtype != dtype
                                  for t in tensors):
        return False
    return operators_available()


def conv2d_act(x, weight, bias, stride, padding, dilation, groups, act):
    """``act(conv2d(x, weight, bias, ...))``, one kernel where
    :func:`fuses` (the activation written with the output)."""
    if fuses(x, act=act):
        attr, scalars = ACTIVATIONS[act]
        return _op()(x, weight, bias, list(padding), list(stride),
                     list(dilation), groups, attr, scalars, '')
    y = F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    return activate_(y, act)


def conv1x1_add_act(x, other, weight, bias, act):
    """``act(conv1x1(x) + other)``: one kernel (the sum and a ReLU are
    post-ops) where :func:`fuses` and both maps are channels-last."""
    if (act in (None, 'relu') and fuses(x, other, act=act)
            and x.is_contiguous(memory_format=torch.channels_last)
            and other.is_contiguous(memory_format=torch.channels_last)):
        return _op().binary(x, other, weight, bias, [0, 0], [1, 1], [1, 1], 1,
                            'add', None, act, [], None)
    y = F.conv2d(x, weight, bias)
    return activate_(y.add_(other), act)


def channel_affine_act(x, scale, shift, act):
    """``act(x * scale + shift)`` per channel (``scale``, ``shift``:
    ``(C,)`` in ``x``'s dtype): one read and one write of ``x`` as a 1x1
    depthwise convolution with the activation as post-op, where
    :func:`fuses`."""
    channels = x.shape[1]
    if fuses(x, act=act):
        attr, scalars = ACTIVATIONS[act]
        return _op()(x, scale.view(channels, 1, 1, 1), shift, [0, 0],
                     [1, 1], [1, 1], channels, attr, scalars, '')
    y = torch.addcmul(shift.view(1, -1, 1, 1), x, scale.view(1, -1, 1, 1))
    return activate_(y, act)


# CPU flags (Linux /proc/cpuinfo) of native bfloat16 arithmetic.
BF16_CPU_FLAGS = ('avx512_bf16', 'amx_bf16', 'bf16')


@functools.lru_cache(maxsize=None)
def _cpu_flags():
    """The CPU's feature flags, or None where /proc/cpuinfo is missing."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key = line.split(':', 1)[0].strip().lower()
                if key in ('flags', 'features'):
                    return frozenset(line.split(':', 1)[1].split())
    except OSError:
        pass
    return None


# CPU flags of which oneDNN needs one group to run bfloat16 convolutions at
# all, emulated or not (its error on other CPUs: "bf16 path needs the cpu
# support avx_ne_convert or avx512bw, avx512vl and avx512dq").
BF16_CONVOLUTION_FLAGS = (('avx512bw', 'avx512vl', 'avx512dq'),
                          ('avx_ne_convert', ))


def bf16_convolutions():
    """Whether oneDNN runs bfloat16 convolutions on this CPU at all:
    natively (:func:`native_bf16`) or emulated (AVX-512 BW/VL/DQ or
    AVX-NE-CONVERT, correct but slower than float32). An AVX2-only x86 CPU
    has neither: there a bfloat16 convolution of oneDNN raises."""
    if native_bf16():
        return True
    if not torch.backends.mkldnn.is_available():
        return False
    flags = _cpu_flags()
    if flags is not None:
        return any(flags.issuperset(group) for group in BF16_CONVOLUTION_FLAGS)
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def native_bf16():
    """Whether this CPU computes bfloat16 natively: oneDNN is available and
    the CPU has AVX512-BF16 or AMX-BF16 instructions (x86) or BF16 (Arm),
    as /proc/cpuinfo lists them. (``torch.ops.mkldnn.
    _is_mkldnn_bf16_supported()`` also says True for AVX-512 CPUs without
    them, where oneDNN emulates bfloat16, slower than float32; it is only
    used where there is no /proc/cpuinfo.)"""
    if not torch.backends.mkldnn.is_available():
        return False
    flags = _cpu_flags()
    if flags is not None:
        return bool(flags.intersection(BF16_CPU_FLAGS))
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False
