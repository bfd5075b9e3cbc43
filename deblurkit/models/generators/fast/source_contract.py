"""What the fast path reads from the generator it rebuilds, in one place.

:class:`~.generator.FastFPNGenerator` runs ``FPNGenerator.forward``
(padding, the feature-map check, the crop and the global residual) on fast
copies of the backbone, neck and head, so it reads the generator's
attributes of :data:`GENERATOR_READS`. :class:`~.generator.FastFPNDecoder`
rebuilds an :class:`FPN` neck and an :class:`FPNHead` from their layers, by
name and by position inside their ``nn.Sequential`` blocks: the attributes
of :data:`NECK_READS` and :data:`HEAD_READS`.

:func:`read_source` checks all of them once, when the fast module is built,
and hands them over by name (:class:`SourceParts`, :class:`DecoderParts`);
the fast path reads nothing else from the generator. A change to
FPNGenerator, FPN or FPNHead that breaks one of these fails there with a
:class:`SourceContractError` naming the attribute (the fast-path tests
build every generator type), instead of a fast module that computes
something else.
"""
from collections import namedtuple

import torch.nn as nn

from ...heads.fpn_head import BranchHead, FPNHead
from ...layers.conv import DepthwiseSeparableConv2d
from ...necks.fpn import FPN
from .layers import is_norm

GENERATOR_READS = {
    'backbone': 'the backbone module (copied, its layers fused)',
    'neck': 'the neck module (FPN: rebuilt, see NECK_READS)',
    'head': 'the head module (FPNHead: rebuilt, see HEAD_READS)',
    'pad_mode': 'padding of FPNGenerator.forward',
    'pad_multiple': 'the size FPNGenerator.forward pads to a multiple of',
    'global_residual': 'FPNGenerator.forward adds the input back',
    'norm_stats': "'per_image' or 'running', the fast module's default",
}
_CONV_NORM_RELU = 'nn.Sequential(conv3x3, [norm,] nn.ReLU)'
NECK_READS = {
    'top_down_convs': 'True (with False the neck keeps its own layers)',
    **{f'lateral{i}': 'nn.Conv2d (1x1)' for i in range(5)},
    **{f'td{k}': _CONV_NORM_RELU for k in (1, 2, 3)},
}
HEAD_READS = {
    **{f'head{k}': 'block0, block1: conv3x3, each followed by a ReLU'
       for k in (1, 2, 3, 4)},
    'smooth': _CONV_NORM_RELU,
    'smooth2': _CONV_NORM_RELU,
    'final': 'conv3x3',
}
# conv3x3: an nn.Conv2d with a 3x3 kernel, stride 1 and zero padding 1, or
# a DepthwiseSeparableConv2d (depthwise 3x3, then pointwise 1x1).

ConvNormReLU = namedtuple('ConvNormReLU', 'conv norm')
ConvNormReLU.__doc__ = """``relu(norm(conv(x)))``; ``norm`` is None when
the block has none (or an ``nn.Identity``)."""

DecoderParts = namedtuple(
    'DecoderParts', 'laterals top_down branches smooth smooth2 final')
DecoderParts.__doc__ = """The layers of FPN + FPNHead the decoder is built
from: ``laterals`` (lateral0..lateral4), ``top_down`` (td1..td3 as
:class:`ConvNormReLU`), ``branches`` (``(block0, block1)`` of head1..head4),
``smooth`` and ``smooth2`` (:class:`ConvNormReLU`) and ``final``."""

SourceParts = namedtuple(
    'SourceParts',
    'backbone neck head pad_mode pad_multiple global_residual norm_stats '
    'decoder')
SourceParts.__doc__ = """The attributes of :data:`GENERATOR_READS`, and
``decoder``: :class:`DecoderParts`, or None where the neck and head are not
an FPN with top-down convolutions and an FPNHead (they then keep their own
layers, fused)."""


class SourceContractError(TypeError):
    """The generator does not have what the fast path reads from it."""


def _fail(where, what, got):
    raise SourceContractError(
        f'the fast path reads {where} as {what}, got {got}; update '
        'deblurkit/models/generators/fast/source_contract.py (and the fast '
        'decoder) to the new structure')


def _read(module, name, where):
    if not hasattr(module, name):
        _fail(f'{where}.{name}', 'an attribute', 'none')
    return getattr(module, name)


def _is_conv3x3(conv):
    if isinstance(conv, DepthwiseSeparableConv2d):
        return _is_conv3x3(conv.depthwise) and tuple(
            conv.pointwise.kernel_size) == (1, 1)
    return (type(conv) is nn.Conv2d and tuple(conv.kernel_size) == (3, 3)
            and tuple(conv.stride) == (1, 1) and conv.padding == (1, 1)
            and tuple(conv.dilation) == (1, 1)
            and conv.padding_mode == 'zeros')


def _conv3x3(conv, where):
    if not _is_conv3x3(conv):
        _fail(where, 'conv3x3 (see source_contract.py)', repr(conv))
    return conv


def _conv_norm_relu(block, where):
    layers = list(block) if isinstance(block, nn.Sequential) else None
    if (layers is None or len(layers) not in (2, 3)
            or type(layers[-1]) is not nn.ReLU
            or (len(layers) == 3 and not (is_norm(layers[1]) or isinstance(
                layers[1], nn.Identity)))):
        _fail(where, _CONV_NORM_RELU, repr(block))
    norm = layers[1] if len(layers) == 3 and is_norm(layers[1]) else None
    return ConvNormReLU(_conv3x3(layers[0], f'{where}[0]'), norm)


def read_decoder(neck, head):
    """The :class:`DecoderParts` of ``neck`` and ``head``, or None unless
    they are an FPN with top-down convolutions and an FPNHead (exactly
    those classes).

    Raises:
        SourceContractError: They are, but lack what the decoder reads.
    """
    if type(neck) is not FPN or type(head) is not FPNHead or \
            _read(neck, 'top_down_convs', 'FPN') is not True:
        return None
    laterals = []
    for i in range(5):
        lateral = _read(neck, f'lateral{i}', 'FPN')
        if type(lateral) is not nn.Conv2d or tuple(
                lateral.kernel_size) != (1, 1):
            _fail(f'FPN.lateral{i}', NECK_READS[f'lateral{i}'],
                  repr(lateral))
        laterals.append(lateral)
    top_down = tuple(
        _conv_norm_relu(_read(neck, f'td{k}', 'FPN'), f'FPN.td{k}')
        for k in (1, 2, 3))
    branches = []
    for k in (1, 2, 3, 4):
        branch = _read(head, f'head{k}', 'FPNHead')
        if type(branch) is not BranchHead:
            _fail(f'FPNHead.head{k}', 'a BranchHead', repr(branch))
        branches.append(
            tuple(
                _conv3x3(_read(branch, name, f'FPNHead.head{k}'),
                         f'FPNHead.head{k}.{name}')
                for name in ('block0', 'block1')))
    return DecoderParts(
        laterals=tuple(laterals),
        top_down=top_down,
        branches=tuple(branches),
        smooth=_conv_norm_relu(_read(head, 'smooth', 'FPNHead'),
                               'FPNHead.smooth'),
        smooth2=_conv_norm_relu(_read(head, 'smooth2', 'FPNHead'),
                                'FPNHead.smooth2'),
        final=_conv3x3(_read(head, 'final', 'FPNHead'), 'FPNHead.final'))


def read_source(generator):
    """Everything the fast path reads from ``generator``, checked.

    Returns:
        SourceParts: The attributes of :data:`GENERATOR_READS` and the
        decoder's parts.

    Raises:
        SourceContractError: Something the fast path reads is missing or
        has another structure.
    """
    name = type(generator).__name__
    values = {key: _read(generator, key, name) for key in GENERATOR_READS}
    return SourceParts(
        decoder=read_decoder(values['neck'], values['head']), **values)
