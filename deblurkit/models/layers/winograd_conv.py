"""Winograd stride-1 convolutions written with PyTorch's own GEMMs.

A stride-1 ``r x r`` convolution computed directly costs ``r * r * C_in *
C_out`` multiply-adds per output pixel. Winograd's minimal filtering
algorithm F(m x m, r x r) computes an ``m x m`` output tile from an ``a x
a`` input tile (``a = m + r - 1``) with ``a * a`` products per channel
pair, as ``a * a`` independent matrix products over the channels:

    Y = A^T [ sum_c (G g_c G^T) * (B^T d_c B) ] A

with ``d_c`` the input tile of channel ``c`` and ``g_c`` the kernel. For
F(4x4, 3x3) that is 36 products per 16 outputs (2.25 per output pixel,
against 9 directly, 4x fewer), for F(3x3, 4x4) 36 per 9 (4 against 16).
Here the tile transforms are small dense matrix products (``kron(B^T,
B^T)`` over the flattened tiles) and the channel sums ``a * a`` batched
GEMMs (``torch.bmm``), so every step runs PyTorch's own multithreaded
kernels: no extension to build, no second thread pool (the NNPACK path of
:mod:`deblurkit.models.layers.winograd` competes with PyTorch's OpenMP
threads, which is why it gains nothing with two threads).

The matrices are built for any ``m`` and ``r`` (up to ``a = 8``) from the
interpolation points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity, in float64,
then rounded once to float32. Rounding: Winograd multiplies transformed
tiles, so each output carries a somewhat larger float32 error than a
direct sum: measured against float64, about 1.7e-6 relative (L2) for
F(4x4, 3x3) and F(3x3, 4x4) on random layers of 128-512 channels, against
0.7-2e-6 for oneDNN's direct kernels on the same layers (the tests check
it stays within 1e-5).

:class:`WinogradConv2d` is an ``nn.Conv2d`` (same parameters, same
``state_dict``) that takes this path where it pays: float32 CPU tensors
outside autocast, stride 1, no dilation or groups, zero padding of at most
``r - 1``, at least :data:`MIN_CHANNELS` input and output channels and
:data:`MIN_TILES` output tiles (below those the transforms cost more than
the products save). Gradients:
the input gradient of a stride-1 convolution is itself one (of the output
gradient with the rotated, transposed kernel, padded ``r - 1 - p``), so it
runs through Winograd too; the weight gradient is the transpose of the
forward's products (the output gradient's tiles transformed by ``A``, the
products with the input tiles the forward transformed and kept, summed
over the tiles by ``a * a`` GEMMs, back through ``G``), 4x fewer products
than directly for F(3x3, 4x4). The transformed kernels are cached per
layer and recomputed whenever the weight differs from the copy they were
made from.

Measured on a 2-core AMD EPYC (Zen 3, AVX2; torch 2.14, two threads):
VGG19's 256-channel 3x3 convolutions at 64x64 and the double-scale
discriminator's 256 -> 512 4x4 convolution at 33x33 take about 0.6x the
time of oneDNN's direct kernels (docs/benchmarks.md).
"""
import functools

import torch
import torch.nn as nn
import torch.nn.functional as F

#: Finite interpolation points, in the order they are used.
POINTS = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)
#: Output tile size per kernel size (``a = m + r - 1 = 6`` for both).
TILE_SIZES = {3: 4, 4: 3}
#: Fewer input or output channels than this: the direct kernel runs.
MIN_CHANNELS = 128
#: Fewer output tiles than this (all images together): the direct kernel
#: runs (the batched GEMMs get too short; measured: the 512 -> 512 4x4
#: convolution at 9x9, batch 1, 16 tiles, 1.46x the direct time; batch 2,
#: 32 tiles, 0.76x).
MIN_TILES = 32
#: ``conv_algorithm`` values of the layers that use this module.
CONV_ALGORITHMS = ('auto', 'direct')


def check_conv_algorithm(conv_algorithm):
    """Raise a ValueError naming the values unless ``conv_algorithm`` is
    one of :data:`CONV_ALGORITHMS`."""
    if conv_algorithm not in CONV_ALGORITHMS:
        raise ValueError(f'conv_algorithm must be one of {CONV_ALGORITHMS}, '
                         f'got {conv_algorithm!r}')


@functools.lru_cache(maxsize=None)
def winograd_matrices(m, r):
    """``(A^T, G, B^T)`` of Winograd F(m, r), float64: ``m x a``, ``a x r``
    and ``a x a`` with ``a = m + r - 1``, so that the correlation of a
    length-``a`` signal ``d`` with a length-``r`` kernel ``g`` is ``A^T
    ((G g) * (B^T d))``.

    Built as the transpose of the Toom-Cook product of two polynomials
    evaluated at :data:`POINTS` and infinity; each row of ``B^T`` is
    scaled to integers (the scale moves into ``G``), as in Lavin & Gray
    (2016).
    """
    a = m + r - 1
    if m < 1 or r < 1 or a - 1 > len(POINTS):
        raise ValueError(f'no Winograd matrices for F({m}, {r})')
    points = torch.tensor(POINTS[:a - 1], dtype=torch.float64)

    def evaluation(n):
        # Values at the points (and the leading coefficient, "infinity")
        # of a polynomial of degree n - 1, from its coefficients.
        matrix = torch.zeros(a, n, dtype=torch.float64)
        matrix[:-1] = points[:, None]**torch.arange(n, dtype=torch.float64)
        matrix[-1, -1] = 1
        return matrix

    interpolation_t = torch.linalg.inv(evaluation(a)).T
    scale = torch.stack([
        row[row.abs() > 1e-9].abs().min() for row in interpolation_t
    ])
    bt = interpolation_t / scale[:, None]
    # The inverse leaves float64 rounding on what are small integers for
    # the sizes used here: make them exact.
    bt = torch.where((bt - bt.round()).abs() < 1e-9, bt.round(), bt)
    return (evaluation(m).T.contiguous(), evaluation(r) * scale[:, None],
            bt)


@functools.lru_cache(maxsize=None)
def _kernel_matrix(m, r, rotated):
    # kron(G, G): the transform of a row-major flattened r x r kernel; for
    # the kernel rotated by 180 degrees, the same with its columns reversed.
    _, g, _ = winograd_matrices(m, r)
    matrix = torch.kron(g, g)
    return matrix.flip(1) if rotated else matrix


#: Kernels transformed per float64 product (bounds its temporaries to a
#: few MB).
KERNEL_CHUNK = 16384


def _kernel_transform(weight, m, rotated=False, out=None):
    """``G g G^T`` of every kernel of ``weight`` (``(C_out, C_in, r, r)``),
    rounded to float32: ``(a * a, C_out, C_in)``; with ``rotated``, of the
    rotated kernels of the transposed weight, ``(a * a, C_in, C_out)``
    (the input gradient's). Computed in float64 (so that the transform adds
    one rounding only), as matrix products over chunks of kernels, into
    ``out`` if given: the layers reuse their buffer, because the
    512-channel layers' weights change at every optimizer step and a fresh
    38 MB tensor each time costs more in page faults than the products."""
    c_out, c_in, r, _ = weight.shape
    matrix = _kernel_matrix(m, r, rotated).to(weight.device)
    kernels = weight.detach()
    if rotated:
        kernels = kernels.transpose(0, 1)
    kernels = kernels.reshape(-1, r * r)  # a copy only if rotated
    a2 = matrix.shape[0]
    if out is None:
        out = weight.new_empty((a2, c_in, c_out) if rotated else
                               (a2, c_out, c_in))
    flat = out.view(a2, -1)
    for start in range(0, kernels.shape[0], KERNEL_CHUNK):
        chunk = kernels[start:start + KERNEL_CHUNK].double()
        flat[:, start:start + chunk.shape[0]].copy_(
            torch.mm(matrix, chunk.T))
    return out


@functools.lru_cache(maxsize=None)
def _tile_transforms(m, r):
    at, _, bt = winograd_matrices(m, r)
    return torch.kron(bt, bt).float(), torch.kron(at, at).float()


def _channels_last(x):
    # The layout the forward computes in (and keeps its ``v`` in).
    return x.dim() == 4 and x.shape[1] > 1 and \
        x.is_contiguous(memory_format=torch.channels_last) and \
        not x.is_contiguous()


def winograd_conv2d_forward(x, u, bias, m, r, padding,
                            keep_input_transform=False):
    """The stride-1 correlation of ``x`` (``(N, C, H, W)``, any strides)
    with the kernels whose transform is ``u`` (from ``_kernel_transform``),
    zero padding ``padding`` on every side, plus ``bias`` (or None).

    The output has ``x``'s memory format (channels-last or contiguous).
    With ``keep_input_transform``, returns ``(output, v)``, ``v`` the
    transformed input tiles that :func:`winograd_weight_gradient` takes.
    """
    n, c, h, w = x.shape
    a = m + r - 1
    out_h, out_w = h + 2 * padding - r + 1, w + 2 * padding - r + 1
    tiles_h, tiles_w = -(-out_h // m), -(-out_w // m)
    tiles = n * tiles_h * tiles_w
    c_out = u.shape[1]
    kb, ka = _tile_transforms(m, r)
    channels_last = _channels_last(x)
    bottom = m * tiles_h + r - 1 - h - padding
    right = m * tiles_w + r - 1 - w - padding
    if channels_last:
        # (N, H, W, C) in memory: tiles and products with C innermost.
        padded = F.pad(x.permute(0, 2, 3, 1),
                       (0, 0, padding, right, padding, bottom))
        d = padded.new_empty(a, a, n, tiles_h, tiles_w, c)
        d.copy_(
            padded.unfold(1, a, m).unfold(2, a, m).permute(4, 5, 0, 1, 2, 3))
        v = torch.mm(kb, d.view(a * a, -1)).view(a * a, tiles, c)
        prod = torch.bmm(v, u.transpose(1, 2))  # (a*a, tiles, C_out)
        y = torch.mm(ka, prod.view(a * a, -1)).view(m, m, n, tiles_h,
                                                    tiles_w, c_out)
        y = y.permute(2, 3, 0, 4, 1, 5)  # (N, th, m, tw, m, C_out)
        full = torch.empty((n, c_out, tiles_h * m, tiles_w * m),
                           dtype=x.dtype,
                           device=x.device,
                           memory_format=torch.channels_last)
        _write(full.permute(0, 2, 3, 1).view(n, tiles_h, m, tiles_w, m,
                                            c_out), y, bias)
        out = _crop(full, out_h, out_w, torch.channels_last)
        return (out, v) if keep_input_transform else out
    padded = F.pad(x, (padding, right, padding, bottom))
    d = padded.new_empty(a, a, c, n, tiles_h, tiles_w)
    d.copy_(padded.unfold(2, a, m).unfold(3, a, m).permute(4, 5, 1, 0, 2, 3))
    v = torch.mm(kb, d.view(a * a, -1)).view(a * a, c, tiles)
    prod = torch.bmm(u, v)  # (a*a, C_out, tiles)
    y = torch.mm(ka, prod.view(a * a, -1)).view(m, m, c_out, n, tiles_h,
                                                tiles_w)
    y = y.permute(3, 2, 4, 0, 5, 1)  # (N, C_out, th, m, tw, m)
    full = torch.empty((n, c_out, tiles_h * m, tiles_w * m),
                       dtype=x.dtype,
                       device=x.device)
    _write(full.view(n, c_out, tiles_h, m, tiles_w, m), y,
           None if bias is None else bias.view(1, c_out, 1, 1, 1, 1))
    out = _crop(full, out_h, out_w, torch.contiguous_format)
    return (out, v) if keep_input_transform else out


def winograd_weight_gradient(grad, v, m, r, channels_last):
    """The weight gradient ``(C_out, C_in, r, r)`` of the convolution whose
    forward kept the transformed input tiles ``v``, from the output
    gradient ``grad``: the transpose of the forward's products,
    ``kron(G, G)^T [sum over tiles (kron(A^T, A^T)^T g) * v]``, with the
    tile sum as ``a * a`` batched GEMMs (4x fewer products than a direct
    weight gradient for F(3x3, 4x4)); ``v`` is ``(a * a, C_in, tiles)``
    from an NCHW input, ``(a * a, tiles, C_in)`` from a channels-last one
    (``channels_last``)."""
    n, c_out, out_h, out_w = grad.shape
    a = m + r - 1
    tiles_h, tiles_w = -(-out_h // m), -(-out_w // m)
    _, ka = _tile_transforms(m, r)
    padded = F.pad(grad, (0, tiles_w * m - out_w, 0, tiles_h * m - out_h))
    g = padded.new_empty(m, m, c_out, n, tiles_h, tiles_w)
    g.copy_(
        padded.reshape(n, c_out, tiles_h, m, tiles_w,
                       m).permute(3, 5, 1, 0, 2, 4))
    g = torch.mm(ka.T, g.view(m * m, -1)).view(a * a, c_out, -1)
    prod = torch.bmm(g, v if channels_last else v.transpose(1, 2))
    matrix = _kernel_matrix(m, r, False).to(grad.device, grad.dtype)
    dw = torch.mm(matrix.T, prod.view(a * a, -1)).view(r, r, c_out, -1)
    return dw.permute(2, 3, 0, 1).contiguous()


def _write(out, tiles, bias):
    # One pass: the output tiles (plus the bias) into the output tensor.
    if bias is None:
        out.copy_(tiles)
    else:
        torch.add(tiles, bias, out=out)


def _crop(full, height, width, memory_format):
    # A tensor of its own (not a view), so that in-place ops may follow.
    if full.shape[2:] == (height, width):
        return full
    return full[:, :, :height, :width].contiguous(memory_format=memory_format)


class _WinogradConv2dFunction(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x, weight, bias, layer):
        m, r, padding = layer.winograd_tile, layer.kernel_size[0], \
            layer.padding[0]
        ctx.layer = layer
        u = layer.transformed_weight(weight)
        if not ctx.needs_input_grad[1]:
            ctx.save_for_backward(weight, None)
            return winograd_conv2d_forward(x, u, bias, m, r, padding)
        # The weight gradient needs the input's transformed tiles: kept
        # (4x the input for F(3x3, 4x4), 2.25x for F(4x4, 3x3)).
        out, v = winograd_conv2d_forward(x, u, bias, m, r, padding,
                                         keep_input_transform=True)
        ctx.channels_last = _channels_last(x)
        ctx.save_for_backward(weight, v)
        return out

    @staticmethod
    def backward(ctx, grad):
        weight, v = ctx.saved_tensors
        layer = ctx.layer
        m, r, padding = layer.winograd_tile, layer.kernel_size[0], \
            layer.padding[0]
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = winograd_conv2d_forward(
                grad, layer.transformed_weight(weight, rotated=True), None,
                m, r, r - 1 - padding)
        if ctx.needs_input_grad[1]:
            grad_weight = winograd_weight_gradient(grad, v, m, r,
                                                   ctx.channels_last)
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum((0, 2, 3))
        return grad_input, grad_weight, grad_bias, None


class WinogradConv2d(nn.Conv2d):
    """An ``nn.Conv2d`` whose CPU float32 forward and gradients run
    Winograd F(m x m, r x r) where that pays (see the module docstring);
    everywhere else ``F.conv2d``.

    Same constructor, parameters and ``state_dict`` as ``nn.Conv2d``, plus
    ``conv_algorithm``: ``'auto'`` (Winograd where it applies) or
    ``'direct'`` (always ``F.conv2d``). The layer's Winograd path needs the
    weight only as a tensor, so it works on a ``functional_call`` or a
    detached weight too.
    """

    def __init__(self, *args, conv_algorithm='auto', **kwargs):
        super().__init__(*args, **kwargs)
        check_conv_algorithm(conv_algorithm)
        self.conv_algorithm = conv_algorithm
        self._clear_transforms()

    def _clear_transforms(self):
        # A copy of the weight the transforms were made from, the
        # transforms (forward and rotated, kept as buffers to reuse) and
        # which of them are up to date with that copy.
        self._weight_seen = None
        self._transforms = {}
        self._fresh = set()

    @property
    def winograd_tile(self):
        return TILE_SIZES.get(self.kernel_size[0])

    def winograd_applies(self, x):
        """Whether :meth:`forward` takes the Winograd path for ``x``."""
        r = self.kernel_size[0]
        return (self.conv_algorithm == 'auto' and r in TILE_SIZES
                and self.kernel_size == (r, r) and self.stride == (1, 1)
                and self.dilation == (1, 1) and self.groups == 1
                and self.padding_mode == 'zeros'
                and isinstance(self.padding, tuple)
                and self.padding[0] == self.padding[1]
                and 0 <= self.padding[0] <= r - 1
                and min(self.in_channels, self.out_channels) >= MIN_CHANNELS
                and x.dim() == 4 and x.device.type == 'cpu'
                and x.dtype == torch.float32
                and self._tiles(x) >= MIN_TILES
                and self.weight.dtype == torch.float32
                and not torch.is_autocast_enabled('cpu'))

    def _tiles(self, x):
        m, r, p = self.winograd_tile, self.kernel_size[0], self.padding[0]
        return x.shape[0] * (-(-(x.shape[2] + 2 * p - r + 1) // m)) * (
            -(-(x.shape[3] + 2 * p - r + 1) // m))

    def transformed_weight(self, weight, rotated=False):
        """The Winograd transform of ``weight`` (or of its rotated,
        transposed kernel, for the input gradient), cached.

        The cache is checked against a copy of the weight it was made from
        (``torch.equal``, a read of the weight: far less than the
        transform), not against the tensor's version counter: fused
        optimizers (``Adam(fused=True)``) update parameters in place
        without moving it.
        """
        source = weight.detach()
        seen = self._weight_seen
        if seen is None or seen.shape != source.shape or \
                seen.dtype != source.dtype or seen.device != source.device:
            self._clear_transforms()
            self._weight_seen = source.clone()
        elif not torch.equal(seen, source):
            # Changed in place (an optimizer step): the buffers are reused.
            seen.copy_(source)
            self._fresh.clear()
        if rotated not in self._fresh:
            self._transforms[rotated] = _kernel_transform(
                source, self.winograd_tile, rotated,
                out=self._transforms.get(rotated))
            self._fresh.add(rotated)
        return self._transforms[rotated]

    def forward(self, x):
        if not self.winograd_applies(x):
            return super().forward(x)
        return _WinogradConv2dFunction.apply(x, self.weight, self.bias, self)

    def _apply(self, fn, recurse=True):
        self._clear_transforms()
        return super()._apply(fn, recurse)

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.update(_weight_seen=None, _transforms={}, _fresh=set())
        return state

    def extra_repr(self):
        return super().extra_repr() + \
            f', conv_algorithm={self.conv_algorithm!r}'
