"""A 3x3 convolution of a nearest-upsampled map, without the upsampling.

``conv3x3(up_s(x))`` (zero padding 1, nearest-neighbour upsampling by an
integer ``s >= 2``) is computed exactly from the low-resolution ``x``: along
each axis, output position ``s * i + a`` reads the upsampled positions
``s * i + a - 1 .. s * i + a + 1``, i.e. the low-resolution positions
``i + floor((a + d) / s)`` for ``d = -1, 0, 1``. The phases ``a`` fall into
three classes that read the same low-resolution positions:

- ``a = 0`` reads ``i - 1`` (tap -1) and ``i`` (taps 0 and +1);
- ``0 < a < s - 1`` reads only ``i`` (all three taps), for ``s >= 3``;
- ``a = s - 1`` reads ``i`` (taps -1 and 0) and ``i + 1`` (tap +1).

(The zero padding of the upsampled map is the upsampling of the zero padding
of ``x``, so the borders agree too.) Each (row class, column class) pair is
therefore a 2x2 convolution of ``x`` whose taps are sums of the 3x3 taps;
all pairs run as one convolution with ``pairs * Cout`` outputs, and each
pair's output is written (or added) into its phases of the full-resolution
result through a strided view. This replaces the upsampled tensor and its
3x3 convolution (``9 * s^2`` taps per low-resolution pixel) by at most
``4 * pairs`` taps: 16 for ``s = 2`` (44%), 36 for ``s >= 3`` (25% at
``s = 4``, 6% at ``s = 8``). Only the summation order differs from the
reference, so results agree to float rounding.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# Rows: the two taps (low-resolution offsets -1/0 after padding) of the
# 2x2 kernel; columns: the 3x3 kernel's taps -1, 0, +1.
_FIRST = ((1., 0., 0.), (0., 1., 1.))
_MIDDLE = ((0., 0., 0.), (1., 1., 1.))
_LAST = ((1., 1., 0.), (0., 0., 1.))
#: Dtypes whose strided in-place add is slow on the CPU (see
#: :meth:`UpsampledConv3x3.forward`).
REDUCED_PRECISION = (torch.bfloat16, torch.float16)


def phase_classes(scale):
    """``(first_phase, stop_phase, tap_map, offset)`` of each phase class.

    ``tap_map`` (2x3) sums the 3x3 taps into the 2x2 kernel's taps; output
    row ``i`` of the class sits at row ``i + offset`` of the 2x2
    convolution (padding 1) of the low-resolution map.
    """
    if scale < 2:
        raise ValueError(f'scale must be an integer >= 2, got {scale!r}')
    classes = [(0, 1, _FIRST, 0)]
    if scale > 2:
        classes.append((1, scale - 1, _MIDDLE, 0))
    classes.append((scale - 1, scale, _LAST, 1))
    return classes


class UpsampledConv3x3(nn.Module):
    """``conv3x3(nearest_upsample(x, scale))`` computed at ``x``'s size.

    Args:
        weight (Tensor): 3x3 kernel ``(Cout, Cin / groups, 3, 3)``.
        scale (int): Upsampling factor, at least 2.
        bias (Tensor, optional): ``(Cout,)``, added once per output pixel.
        groups (int): 1 (dense) or ``Cin`` (depthwise, ``Cout == Cin``).

    Shapes: ``(N, Cin, h, w) -> (N, Cout, scale * h, scale * w)``, written
    into ``out`` when given (added to it with ``accumulate=True``).
    """

    def __init__(self, weight, scale, bias=None, groups=1):
        super().__init__()
        if tuple(weight.shape[2:]) != (3, 3):
            raise ValueError('UpsampledConv3x3 needs a 3x3 kernel, got '
                             f'{tuple(weight.shape)}')
        self.scale, self.groups = int(scale), groups
        self.out_channels = weight.shape[0]
        classes = phase_classes(self.scale)
        self.pairs = [(rows, cols) for rows in classes for cols in classes]
        w = weight.detach().double()
        kernels = []
        for (_, _, row_map, _), (_, _, col_map, _) in self.pairs:
            rows = w.new_tensor(row_map)
            cols = w.new_tensor(col_map)
            kernels.append(torch.einsum('pa,oiab,qb->oipq', rows, w, cols))
        if groups == 1:
            # Pair-major: pair k owns outputs [k * Cout, (k + 1) * Cout).
            stacked = torch.cat(kernels)
        else:
            # Grouped convolutions keep each group's outputs together, so
            # channel-major: pair k of channel c is output c * pairs + k.
            stacked = torch.stack(kernels, 1).flatten(0, 1)
        self.register_buffer('weight', stacked.to(weight.dtype).contiguous())
        if bias is not None:
            n = len(self.pairs)
            bias = bias.detach().repeat(n) if groups == 1 else \
                bias.detach().repeat_interleave(n)
        self.register_buffer('bias', bias)

    def _pair_output(self, y, k):
        n = len(self.pairs)
        if self.groups == 1:
            c = self.out_channels
            return y[:, k * c:(k + 1) * c]
        return y[:, k::n]

    def forward(self, x, out=None, accumulate=False):
        n, _, h, w = x.shape
        s = self.scale
        pairs = F.conv2d(
            x, self.weight, self.bias, padding=1, groups=self.groups)
        if out is None:
            if accumulate:
                raise ValueError('accumulate=True needs an `out` tensor')
            out = x.new_empty(n, self.out_channels, h * s, w * s)
        if tuple(out.shape) != (n, self.out_channels, h * s, w * s):
            raise ValueError(
                f'out has shape {tuple(out.shape)}, expected '
                f'{(n, self.out_channels, h * s, w * s)}')
        # A strided add of 16-bit floats has no vectorised CPU kernel: its
        # runs are one pixel's channels, and it took 8x the float32 time
        # (13 ms of an 83 ms bf16 call at 736x1280). There the phases are
        # copied (plain bytes) into a scratch map that is added once over
        # contiguous memory: the same sums.
        scratch = (accumulate and out.dtype in REDUCED_PRECISION
                   and out.device.type == 'cpu')
        target = torch.empty_like(out) if scratch else out
        phases = target.view(n, self.out_channels, h, s, w, s)
        for k, ((r0, r1, _, dr), (c0, c1, _, dc)) in enumerate(self.pairs):
            src = self._pair_output(pairs, k)[:, :, dr:dr + h, dc:dc + w]
            dst = phases[:, :, :, r0:r1, :, c0:c1]
            src = src[:, :, :, None, :, None]
            if accumulate and not scratch:
                dst.add_(src)
            else:
                dst.copy_(src)
        if scratch:
            out.add_(target)
        return out

    def extra_repr(self):
        return (f'out_channels={self.out_channels}, scale={self.scale}, '
                f'groups={self.groups}, pairs={len(self.pairs)}')


def add_upsampled_(x, low):
    """``x += nearest_upsample(low)`` in place, without the upsampled copy.

    Args:
        x (Tensor): ``(N, C, s * h, s * w)``, modified and returned.
        low (Tensor): ``(N, C, h, w)``.
    """
    n, c, h, w = low.shape
    s = x.shape[2] // h
    if x.shape[:2] != low.shape[:2] or x.shape[2] != s * h or \
            x.shape[3] != s * w:
        raise ValueError(f'cannot add a {tuple(low.shape)} map upsampled to '
                         f'{tuple(x.shape)}')
    x.view(n, c, h, s, w, s).add_(low[:, :, :, None, :, None])
    return x
