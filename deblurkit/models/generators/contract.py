"""What deblurkit expects of a generator, and the checks that say so.

Any ``nn.Module`` works as ``model.generator`` if it

- maps an ``(N, 3, H, W)`` tensor in [-1, 1] to a tensor of the same shape
  in [-1, 1] (``tanh``, a clamp, or ``clamp(tanh(r) + x, -1, 1)``);
- accepts every ``H`` and ``W`` that are multiples of its ``pad_multiple``
  (an optional int attribute, default 1: any size). Callers pad to that
  multiple (bottom/right) and crop back: the data preprocessor
  (``pad_size`` is raised to a multiple of it), ``deblurkit.apis``, the
  ONNX exporter, ``benchmark.py`` and ``get_flops.py`` all go through
  the data preprocessor module's ``pad_to_multiple`` (directly or in
  :class:`SizeAdapter`). A generator may pad
  itself as well (``FPNGenerator`` does); it still declares its multiple
  so that callers never hard-code one.

Optional attributes the tools use when present: ``norm_stats``
(``'per_image'`` / ``'running'``, see :mod:`deblurkit.models.layers.norm`),
``pad_mode`` (how to pad: ``'reflect'`` by default), ``backbone`` (frozen
during ``warmup_iters``), ``channels_last`` (True if the plain inference
path should feed channels-last tensors, which pays for convolutional
networks; default False because a module that calls ``.view`` on its
activations would fail on them).

:func:`check_generator_output` turns a broken contract into one clear error
at the first batch, in training and in inference.
"""
import math
import weakref

import torch
import torch.nn as nn

from ..data_preprocessors.deblur_data_preprocessor import (PAD_MODES,
                                                          pad_to_multiple)
# Outputs may leave [-1, 1] by float rounding (e.g. under autocast) only.
RANGE_TOLERANCE = 1e-3


def _unwrap(module):
    return getattr(module, 'module', module)


def pad_multiple_of(generator):
    """The multiple ``H`` and ``W`` must reach for ``generator`` (>= 1).

    Raises:
        ValueError: ``pad_multiple`` is not a positive int.
    """
    value = getattr(_unwrap(generator), 'pad_multiple', 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f'{type(_unwrap(generator)).__name__}.pad_multiple must be a '
            f'positive int (the multiple its input size needs), got '
            f'{value!r}')
    return value


def pad_mode_of(generator):
    """The generator's ``pad_mode`` if it is a padding mode, else reflect."""
    mode = getattr(_unwrap(generator), 'pad_mode', None)
    return mode if mode in PAD_MODES else 'reflect'


def aligned_pad_size(pad_size, generator):
    """The least multiple of both ``pad_size`` and the generator's
    ``pad_multiple``: the data preprocessor's padding for this generator."""
    return math.lcm(int(pad_size), pad_multiple_of(generator))


def align_pad_size(preprocessor, generator):
    """Raise ``preprocessor.pad_size`` (if it has one) to a multiple of the
    generator's ``pad_multiple``, so val/test inputs fit the generator."""
    if getattr(preprocessor, 'pad_size', None):
        preprocessor.pad_size = aligned_pad_size(preprocessor.pad_size,
                                                 generator)


class SizeAdapter(nn.Module):
    """``generator`` for any input size: pad to its ``pad_multiple``, run,
    crop back.

    Args:
        generator (nn.Module): Any generator (see the module docstring).
        always_pad (bool): Pad even by 0 pixels (an ONNX graph with no
            shape-dependent branch).

    Shapes: ``(N, 3, H, W)`` -> ``(N, 3, H, W)``.
    """

    def __init__(self, generator, always_pad=False):
        super().__init__()
        self.generator = generator
        self.multiple = pad_multiple_of(generator)
        self.mode = pad_mode_of(generator)
        self.always_pad = always_pad

    def forward(self, x):
        h, w = x.shape[-2:]
        if self.multiple == 1:
            return self.generator(x)
        padded = pad_to_multiple(x, self.multiple, self.mode,
                                 self.always_pad)
        return self.generator(padded)[..., :h, :w]


# Generators whose output passed the check (entries go with them).
_CHECKED = weakref.WeakKeyDictionary()


def check_generator_output(generator, inputs, output, where='model.generator'):
    """Raise a clear error if ``output`` breaks the generator contract.

    Checked once per generator (the first batch): the output must be a
    tensor of the input's shape with finite values in [-1, 1].

    Args:
        generator (nn.Module): The generator (named in the error).
        inputs (Tensor): What it was given, ``(N, 3, H, W)``.
        output: What it returned.
        where (str): The config key of the generator.

    Raises:
        ValueError: naming the module, the shapes or the value range.
    """
    module = _unwrap(generator)
    try:
        if _CHECKED.get(module):
            return
    except TypeError:  # not weak-referenceable: check every time
        pass
    name = f'{where} ({type(module).__name__})'
    if not isinstance(output, torch.Tensor):
        raise ValueError(
            f'{name} returned {type(output).__name__}; a generator must '
            'return one tensor of its input\'s shape (N, 3, H, W)')
    if tuple(output.shape) != tuple(inputs.shape):
        hint = ''
        multiple = pad_multiple_of(module)
        h, w = inputs.shape[-2:]
        if h % multiple or w % multiple:
            hint = (f'; its pad_multiple is {multiple} but the input is '
                    f'{h}x{w}: use crop sizes that are multiples of it')
        else:
            hint = ('; if it needs H and W to be multiples of some number, '
                    'declare it as the class attribute `pad_multiple` so '
                    'deblurkit pads inputs to it')
        raise ValueError(
            f'{name} maps an input of shape {tuple(inputs.shape)} to an '
            f'output of shape {tuple(output.shape)}; a generator must return '
            f'the shape of its input{hint}')
    with torch.no_grad():
        finite = bool(torch.isfinite(output).all())
        low, high = (float(v) for v in torch.aminmax(output.detach().float()))
    if not finite or low < -1 - RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        what = 'non-finite values' if not finite else \
            f'values in [{low:.4g}, {high:.4g}]'
        raise ValueError(
            f'{name} returned {what}; a generator must return images in '
            '[-1, 1] (end it with tanh, or clamp(tanh(r) + x, -1, 1) for a '
            'residual generator)')
    try:
        _CHECKED[module] = True
    except TypeError:
        pass
