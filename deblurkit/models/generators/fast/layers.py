"""Inference-only layers: a convolution with its normalisation and activation.

Which normalisation can be removed depends on the statistics it uses
(:mod:`deblurkit.models.layers.norm`):

- ``'running'``: the norm is a fixed per-channel affine map, so it is folded
  into the weights and bias of the convolution before it (computed in
  float64), and the activation runs inside the convolution kernel on the CPU
  (oneDNN post-op).
- ``'per_image'``: the statistics depend on the image. In general the
  convolution is followed by one normalisation kernel (statistics and
  affine map) and the activation runs in place on its output. After an
  expanding 1x1 convolution the output's statistics are computed from the
  (smaller) input's covariance, so the norm folds into that image's
  weights and the large output is written once, normalised and activated
  (:meth:`FusedConv._image_affine_weights`).

Weights are copied, never shared, so the source module stays untouched.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ...layers.temporal_norm import active_provider, smooth_stats
from . import onednn
from .tuning import (BLOCKED_STATS_PIXELS, GRAM_BLOCK_ROWS,
                     GRAM_STATS_ELEMENTS, STATS_BLOCK_ROWS,
                     STATS_GROUP_COLUMNS)


# Activations applied in place (and fused into oneDNN convolutions).
_RELU, _RELU6 = 'relu', 'relu6'


def activation_of(module):
    """``None``, ``'relu'``, ``'relu6'`` or the module itself (kept as is).

    Args:
        module (nn.Module | None): An activation module (or an identity).
    """
    if module is None or isinstance(module, (nn.Identity, nn.Dropout)):
        return None
    if type(module) is nn.ReLU:
        return _RELU
    if type(module) is nn.ReLU6 or (type(module) is nn.Hardtanh
                                    and module.min_val == 0
                                    and module.max_val == 6):
        return _RELU6
    return module


def is_simple_activation(module):
    """True for the activations this module applies in place itself."""
    return activation_of(module) in (None, _RELU, _RELU6) and not isinstance(
        module, nn.Dropout)


def apply_activation_(x, act):
    """``act(x)``, in place for ReLU and ReLU6 (``x`` is a fresh tensor)."""
    if isinstance(act, nn.Module):
        return act(x)
    return onednn.activate_(x, act)


def is_norm(module):
    """True for a 2d batch or instance norm (converted or not)."""
    return isinstance(module, (_BatchNorm, _InstanceNorm))


def uses_image_stats(norm, norm_stats):
    """Whether ``norm`` in eval mode normalises with the image's statistics.

    Returns None where it would use statistics of the whole batch (a
    BatchNorm without running buffers in ``'running'`` mode), which no fast
    layer reproduces: such a layer is left as it is.
    """
    mode = norm_stats or getattr(norm, 'norm_stats', 'running')
    if mode == 'per_image':
        return True
    if norm.running_mean is not None:
        return False
    # Without buffers an InstanceNorm still uses each image's statistics;
    # a BatchNorm uses the batch's.
    return True if isinstance(norm, _InstanceNorm) else None


def norm_act_of(norm):
    """The activation a timm norm-act layer applies after normalising."""
    act = getattr(norm, 'act', None)
    drop = getattr(norm, 'drop', None)
    if drop is not None and not isinstance(drop, (nn.Identity, nn.Dropout)):
        return NotImplemented
    return activation_of(act)


def norm_affine(mean, var, eps, weight=None, bias=None):
    """``(scale, shift)`` with ``norm(y) = y * scale + shift``.

    ``norm(y) = (y - mean) / sqrt(var + eps) * weight + bias``, computed in
    the dtype of ``mean`` and ``var``; ``weight`` and ``bias`` (None or
    broadcastable to them) are converted to it.
    """
    scale = torch.rsqrt(var + eps)
    if weight is not None:
        scale = scale * weight.to(scale.dtype)
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias.to(shift.dtype)
    return scale, shift


def per_image_norm(x, weight, bias, eps, key=None):
    """Normalise each image and channel of ``x`` by its own mean/variance.

    Equals ``F.instance_norm(x, weight=weight, bias=bias, eps=eps)`` (biased
    variance), which is what the official predictor's train-mode BatchNorm
    computes for a batch of one.

    Args:
        x (Tensor): ``(N, C, H, W)``, any memory format.
        weight (Tensor | None): ``(C,)`` scale, float32.
        bias (Tensor | None): ``(C,)`` shift, float32.
        eps (float): Added to the variance.
        key (object, optional): The layer, for the temporal statistics
            provider (:mod:`deblurkit.models.layers.temporal_norm`): while
            one is active, the statistics it returns are used.
    """
    if key is not None and active_provider() is not None:
        return _smoothed_norm(x, weight, bias, eps, key)
    if x.dtype not in _REDUCED and weight is not None:
        # Mixed precision is allowed for half inputs only.
        weight = weight.to(x.dtype)
        bias = None if bias is None else bias.to(x.dtype)
    if x.shape[0] == 1:
        if _large_channels_last_cpu(x):
            mean, var = _precise_stats(x)
            return F.batch_norm(x, mean, var, weight, bias, False, 0.0, eps)
        # A batch of one: batch statistics are the image's. This is a single
        # fused kernel on CPU and GPU, for any memory format.
        return F.batch_norm(x, None, None, weight, bias, True, 0.0, eps)
    var, mean = torch.var_mean(
        x.float() if x.dtype in _REDUCED else x,
        dim=(2, 3),
        keepdim=True,
        correction=0)
    scale, shift = norm_affine(
        mean, var, eps, None if weight is None else weight.view(1, -1, 1, 1),
        None if bias is None else bias.view(1, -1, 1, 1))
    return torch.addcmul(shift.to(x.dtype), x, scale.to(x.dtype))


def _image_stats(x):
    """Mean and biased variance ``(N, C)`` (float32) of each image."""
    if x.shape[0] == 1 and _large_channels_last_cpu(x):
        mean, var = _precise_stats(x)
        return mean[None], var[None]
    var, mean = torch.var_mean(x.float(), dim=(2, 3), correction=0)
    return mean, var


def _smoothed_affine(x, weight, bias, eps, key):
    """``(scale, shift)`` ``(N, C)`` of a per-image norm of ``x`` whose
    statistics went through the temporal provider."""
    mean, var = smooth_stats(key, *_image_stats(x))
    return norm_affine(mean, var, eps, weight, bias)


def _smoothed_norm(x, weight, bias, eps, key):
    scale, shift = _smoothed_affine(x, weight, bias, eps, key)
    return torch.addcmul(shift[:, :, None, None].to(x.dtype), x,
                         scale[:, :, None, None].to(x.dtype))


# From this many pixels on, a channels-last map on the CPU gets its
# statistics from :func:`_precise_stats`: the batch-norm kernel for that
# layout adds the pixels one by one into a float32 accumulator per thread,
# which put FPN-MobileNet's output 7e-5 (256x256) and 2.6e-4 (736x1280)
# away from a float64 run, against 2-3e-5 with precise statistics.
PRECISE_STATS_PIXELS = 1 << 13


def _large_channels_last_cpu(x):
    """Whether :func:`_precise_stats` takes the statistics of ``x``.

    A bfloat16/float16 map never: the batch-norm kernel's float32
    statistics are far more precise than the map's own rounding, and one
    kernel is faster than a separate pass (and a squared copy) for them.
    """
    return (x.device.type == 'cpu' and x.shape[0] == 1
            and x.dtype not in _REDUCED
            and x.shape[2] * x.shape[3] >= PRECISE_STATS_PIXELS
            and not x.is_contiguous()
            and x.is_contiguous(memory_format=torch.channels_last))


def _precise_stats(x):
    """Mean and biased variance per channel of a single image, float32.

    For a channels-last float32 image of at least
    :data:`BLOCKED_STATS_PIXELS` pixels, the pixels are an ``(n, C)`` matrix
    (a view) whose sums are taken by blocks of :data:`STATS_BLOCK_ROWS`
    rows with float32 matrix products (each block's sum is a product with a
    vector of ones; its sum of squares is the diagonal of the block's Gram
    matrix, taken for 16 or 32 columns at a time), and
    the blocks are added in float64. That reads the map twice and writes
    nothing, where ``sum(x * x)`` writes and reads a squared copy, and the
    sums are exact to about 1e-7 (relative). Other inputs use pairwise
    (cascade) float32 sums of ``x`` and ``x * x``, combined in float64.
    """
    n = x.shape[2] * x.shape[3]
    if x.dtype == torch.float32 and x.shape[0] == 1 and x.is_contiguous(
            memory_format=torch.channels_last) and n >= BLOCKED_STATS_PIXELS:
        total, square = _blocked_sums(x.permute(0, 2, 3, 1).reshape(n, -1))
    else:
        total = x.sum((0, 2, 3), dtype=torch.float32).double()
        square = torch.mul(x, x).sum((0, 2, 3), dtype=torch.float32).double()
        n = n * x.shape[0]
    mean = total.div_(n)
    var = torch.addcmul(square.div_(n), mean, mean, value=-1).clamp_min_(0)
    return mean.float(), var.float()


def _row_blocks(pixels, rows):
    """``pixels`` (``(n, c)``) as whole blocks ``(n // rows, rows, c)``
    (a view) and the remaining ``n % rows`` rows."""
    blocks = pixels.shape[0] // rows
    split = blocks * rows
    return pixels[:split].view(blocks, rows, pixels.shape[1]), pixels[split:]


def _blocked_sums(pixels):
    """Float64 sums and sums of squares of the columns of ``pixels``.

    ``pixels`` is an ``(n, c)`` float32 matrix with unit column stride.
    """
    c = pixels.shape[1]
    body, rest = _row_blocks(pixels, STATS_BLOCK_ROWS)
    total = torch.matmul(pixels.new_ones(STATS_BLOCK_ROWS), body).sum(
        0, dtype=torch.float64) + rest.sum(0, dtype=torch.float64)
    # Column groups of 64 or 128 bytes: whole cache lines per row.
    group = STATS_GROUP_COLUMNS * (1 if c < 128 else 2)
    square = []
    for start in range(0, c, group):
        part = body[:, :, start:start + group]
        gram = torch.bmm(part.transpose(1, 2), part)
        square.append(
            gram.diagonal(dim1=1, dim2=2).sum(0, dtype=torch.float64))
    square = torch.cat(square) + (rest * rest).sum(0, dtype=torch.float64)
    return total, square


def per_image_norm_act(x, weight, bias, eps, act, key=None):
    """``act(per_image_norm(x, weight, bias, eps, key))``.

    On a large channels-last float32 image on the CPU, after the statistics
    the normalisation and a ReLU/ReLU6 are one kernel
    (:func:`onednn.channel_affine_act`): the map is read once and written
    once.
    """
    if (x.dtype == torch.float32 and (act is None or isinstance(act, str))
            and _large_channels_last_cpu(x)):
        if key is not None and active_provider() is not None:
            scale, shift = (t[0] for t in _smoothed_affine(
                x, weight, bias, eps, key))
        else:
            scale, shift = norm_affine(*_precise_stats(x), eps, weight,
                                       bias)
        return onednn.channel_affine_act(x, scale, shift, act)
    return apply_activation_(per_image_norm(x, weight, bias, eps, key), act)


_REDUCED = (torch.float16, torch.bfloat16)

def _mean_and_covariance(pixels):
    """Mean and biased covariance (float64) of the rows of ``pixels``.

    ``pixels`` is ``(n, c)``. A float64 Gram matrix of a 720p map costs
    more than the convolution it serves, so the products are float32 and
    only the sums are float64: the rows are first centred on a float32
    estimate of the mean (which removes the cancellation of ``E[xx] -
    E[x]E[x]``; the estimate need not be exact, the formula below is exact
    for any shift), then multiplied in blocks of :data:`GRAM_BLOCK_ROWS`
    rows (each block one float32 matrix product), and the blocks are added
    in float64. Relative error about 1e-6, against 1e-5 to 1e-4 for one
    float32 product over all the rows.
    """
    n = pixels.shape[0]
    if pixels.dtype in _REDUCED:
        # A float32 copy of the (smaller) input is cheap; float32 products
        # are precise enough here.
        pixels = pixels.float()
    if pixels.dtype != torch.float32:
        pixels = pixels.double()
        mean = pixels.mean(0)
        centred = pixels - mean
        return mean, centred.T @ centred / n
    # Any shift near the mean will do: a sample of rows gives one cheaply.
    shift = pixels[::max(1, n // 4096)].mean(0)
    chunks, rest = _row_blocks(pixels - shift, GRAM_BLOCK_ROWS)
    gram = torch.bmm(chunks.transpose(1, 2), chunks).sum(
        0, dtype=torch.float64) + (rest.T @ rest).double()
    total = chunks.sum(1).sum(0, dtype=torch.float64) + rest.sum(0).double()
    offset = total / n  # mean of the centred rows: exactly mean - shift
    mean = shift.double() + offset
    cov = gram / n - torch.outer(offset, offset)
    return mean, cov


def _float_or_none(tensor):
    # float32 at least: half-precision inputs keep float32 statistics.
    if tensor is None:
        return None
    dtype = torch.float32 if tensor.dtype in _REDUCED else tensor.dtype
    return tensor.detach().to(dtype).clone()


class NormParams:
    """The statistics-free part of a norm layer: affine and eps."""

    def __init__(self, norm):
        self.weight = _float_or_none(norm.weight) if getattr(
            norm, 'affine', True) else None
        self.bias = _float_or_none(norm.bias) if getattr(norm, 'affine',
                                                         True) else None
        self.eps = float(norm.eps)


def folded_affine(norm):
    """``(scale, shift)`` (float64) of a norm that uses its running buffers."""
    affine = getattr(norm, 'affine', True)
    return norm_affine(norm.running_mean.detach().double(),
                       norm.running_var.detach().double(), norm.eps,
                       norm.weight.detach() if affine and norm.weight
                       is not None else None,
                       norm.bias.detach() if affine and norm.bias
                       is not None else None)


def fold_affine_into(weight, bias, scale, shift):
    """Weights and bias of ``conv`` followed by ``y * scale + shift``.

    Args:
        weight (Tensor): ``(Cout, Cin / groups, kh, kw)``.
        bias (Tensor | None): ``(Cout,)``.
        scale, shift (Tensor): ``(Cout,)``, float64.

    Returns:
        tuple[Tensor, Tensor]: Weight and bias in ``weight``'s dtype.
    """
    w = weight.detach().double() * scale.view(-1, 1, 1, 1)
    b = shift.clone()
    if bias is not None:
        b = b + bias.detach().double() * scale
    return w.to(weight.dtype), b.to(weight.dtype)


def is_plain_conv(module):
    """A ``nn.Conv2d`` with zero padding given as numbers (no 'same')."""
    return (type(module) is nn.Conv2d and module.padding_mode == 'zeros'
            and not isinstance(module.padding, str))


class FusedConv(nn.Module):
    """``conv -> [per-image norm] -> [activation]`` for inference.

    Build it with :meth:`from_layers`, which folds a norm with fixed
    statistics into the convolution.

    Args:
        weight (Tensor): Convolution weight ``(Cout, Cin / groups, kh, kw)``.
        bias (Tensor | None): Convolution bias.
        stride, padding, dilation (tuple[int, int]), groups (int): As in
            ``nn.Conv2d`` (zero padding).
        norm (NormParams | None): A per-image normalisation after the
            convolution, or None.
        act (str | nn.Module | None): ``'relu'``, ``'relu6'``, another
            activation module, or None.

    Shapes: ``(N, Cin, H, W) -> (N, Cout, H', W')``.
    """

    def __init__(self,
                 weight,
                 bias=None,
                 stride=(1, 1),
                 padding=(0, 0),
                 dilation=(1, 1),
                 groups=1,
                 norm=None,
                 act=None):
        super().__init__()
        self.register_buffer('weight', weight.detach().clone())
        self.register_buffer(
            'bias', None if bias is None else bias.detach().clone())
        self.stride, self.padding = tuple(stride), tuple(padding)
        self.dilation, self.groups = tuple(dilation), groups
        self.per_image = norm is not None
        if norm is not None:
            # A conv bias before a per-image norm is removed by the mean
            # subtraction, so it is not computed at all.
            self.bias = None
            self.register_buffer('norm_weight', norm.weight)
            self.register_buffer('norm_bias', norm.bias)
            self.norm_eps = norm.eps
        self.act = act if isinstance(act, nn.Module) else None
        self.act_name = None if isinstance(act, nn.Module) else act

    @classmethod
    def from_layers(cls, conv, norm=None, act=None, norm_stats=None):
        """Fuse ``conv`` (an ``nn.Conv2d``), an optional norm and activation.

        Args:
            conv (nn.Conv2d): The convolution (zero padding).
            norm (nn.Module | None): A batch/instance norm after it.
            act (str | nn.Module | None): The activation after the norm.
            norm_stats (str | None): Overrides the norm's own mode.

        Returns:
            FusedConv | None: None when the norm would use statistics of the
            whole batch (left to the original layers).
        """
        weight, bias = conv.weight, conv.bias
        params = None
        if norm is not None:
            image_stats = uses_image_stats(norm, norm_stats)
            if image_stats is None:
                return None
            if image_stats:
                params = NormParams(norm)
            else:
                weight, bias = fold_affine_into(weight, bias,
                                                *folded_affine(norm))
        return cls(weight, bias, conv.stride, conv.padding, conv.dilation,
                   conv.groups, params, act)

    @property
    def stats_from_input(self):
        """Whether per-image statistics come from the input's covariance.

        True for an expanding 1x1 convolution (at least twice as many
        outputs as inputs, as in MobileNetV2's blocks), whose output is the
        largest map of its block.
        """
        cout, cin = self.weight.shape[:2]
        return (self.per_image and self.groups == 1
                and tuple(self.weight.shape[2:]) == (1, 1)
                and self.stride == (1, 1) and self.padding == (0, 0)
                and 2 * cin <= cout)

    def _image_affine_weights(self, x):
        """Weights and bias of ``norm(conv(x))`` for the one image ``x``.

        For a 1x1 convolution ``y = W x`` the statistics of ``y`` follow
        from those of ``x``: ``mean_y = W mean_x`` and ``var_y =
        diag(W cov_x W^T)``, where ``cov_x`` is the covariance of the
        (smaller) input (:func:`_mean_and_covariance`). The normalisation is then a
        per-channel affine map folded into the weights, so the large output
        is written once, already normalised (and activated), instead of
        being read twice for its statistics and rewritten by the norm and
        the activation. The conv bias cancels in the normalisation.
        """
        _, c, h, w = x.shape
        # A view for channels-last inputs (a copy otherwise).
        mean, cov = _mean_and_covariance(x.permute(0, 2, 3, 1).reshape(
            h * w, c))
        weight = self.weight[:, :, 0, 0].double()
        mean_out = weight @ mean
        var_out = ((weight @ cov) * weight).sum(1).clamp_min_(0)
        mean_out, var_out = smooth_stats(self, mean_out, var_out)
        scale, shift = norm_affine(mean_out, var_out, self.norm_eps,
                                   self.norm_weight, self.norm_bias)
        weight = (weight * scale[:, None]).to(x.dtype)[:, :, None, None]
        return weight, shift.to(x.dtype)

    def _conv_act(self, x, weight, bias):
        """``act(conv(x))``, one kernel on the CPU (:func:`onednn.conv2d_act`)."""
        if self.act is not None:
            y = F.conv2d(x, weight, bias, self.stride, self.padding,
                         self.dilation, self.groups)
            return self.act(y)
        return onednn.conv2d_act(x, weight, bias, self.stride, self.padding,
                                 self.dilation, self.groups, self.act_name)

    def forward(self, x):
        if not self.per_image:
            return self._conv_act(x, self.weight, self.bias)
        if (x.shape[0] == 1 and self.stats_from_input and
                x.shape[2] * x.shape[3] * self.weight.shape[0] >=
                GRAM_STATS_ELEMENTS):
            return self._conv_act(x, *self._image_affine_weights(x))
        y = F.conv2d(x, self.weight, None, self.stride, self.padding,
                     self.dilation, self.groups)
        return per_image_norm_act(y, self.norm_weight, self.norm_bias,
                                  self.norm_eps, self.act or self.act_name,
                                  key=self)

    def extra_repr(self):
        cout, cin = self.weight.shape[:2]
        return (f'{cin * self.groups}, {cout}, kernel_size='
                f'{tuple(self.weight.shape[2:])}, stride={self.stride}, '
                f'groups={self.groups}, per_image_norm={self.per_image}, '
                f'act={self.act_name or self.act}')


class ScaledResidualBlock(nn.Module):
    """``act(x + scale * conv1x1(cat(branches(x))))`` for inference.

    The residual blocks of Inception-ResNet-v2 (timm's ``Block35``,
    ``Block17``, ``Block8``). The scale folds into the 1x1 convolution
    (float64), and the sum and the ReLU run inside it
    (:func:`onednn.conv1x1_add_act`), where the original block writes three more
    maps of the block's size (the scaled output, the sum, the activation).

    Args:
        branches (list[nn.Module]): The branches, concatenated in order.
        conv (nn.Conv2d): The 1x1 convolution after the concatenation.
        scale (float): The residual scale.
        act (str | None): ``'relu'`` or None.
    """

    def __init__(self, branches, conv, scale, act):
        super().__init__()
        self.branches = nn.ModuleList(branches)
        weight, bias = fold_affine_into(
            conv.weight, conv.bias,
            torch.full((conv.out_channels, ), float(scale),
                       dtype=torch.float64),
            torch.zeros(conv.out_channels, dtype=torch.float64))
        self.register_buffer('weight', weight)
        self.register_buffer('bias', bias)
        self.act_name = act

    @classmethod
    def from_block(cls, block):
        """The fast version of a timm Inception-ResNet residual block.

        Returns:
            ScaledResidualBlock | None: None if ``block`` is not one (or
            has a layer this class does not reproduce).
        """
        kind = type(block)
        if kind.__name__ not in ('Block35', 'Block17', 'Block8') or \
                not kind.__module__.startswith('timm.'):
            return None
        conv = getattr(block, 'conv2d', None)
        if not (is_plain_conv(conv) and tuple(conv.kernel_size) == (1, 1)
                and tuple(conv.stride) == (1, 1) and conv.groups == 1
                and tuple(conv.padding) == (0, 0)):
            return None
        act = getattr(block, 'act', getattr(block, 'relu', None))
        act = activation_of(act)
        if act not in (None, _RELU):
            return None
        branches = []
        for i in range(4):
            branch = getattr(block, f'branch{i}', None)
            if branch is None:
                break
            branches.append(branch)
        return cls(branches, conv, block.scale, act)

    def forward(self, x):
        out = torch.cat([branch(x) for branch in self.branches], 1)
        return onednn.conv1x1_add_act(out, x, self.weight, self.bias,
                                      self.act_name)


class FastNorm(nn.Module):
    """A norm layer (and an optional activation) outside a conv pattern.

    Args:
        norm (nn.Module): The batch/instance norm.
        act (str | nn.Module | None): Activation after it.
        image_stats (bool): Normalise by the image's statistics (True) or by
            the running buffers (False, a fixed affine map).
    """

    def __init__(self, norm, act=None, image_stats=True):
        super().__init__()
        self.per_image = image_stats
        if image_stats:
            params = NormParams(norm)
            self.register_buffer('weight', params.weight)
            self.register_buffer('bias', params.bias)
            self.eps = params.eps
        else:
            scale, shift = folded_affine(norm)
            dtype = _float_or_none(norm.running_var).dtype
            self.register_buffer('scale', scale.to(dtype).view(1, -1, 1, 1))
            self.register_buffer('shift', shift.to(dtype).view(1, -1, 1, 1))
        self.act = act if isinstance(act, nn.Module) else None
        self.act_name = None if isinstance(act, nn.Module) else act

    def forward(self, x):
        if self.per_image:
            return per_image_norm_act(x, self.weight, self.bias, self.eps,
                                      self.act or self.act_name, key=self)
        y = torch.addcmul(self.shift.to(x.dtype), x, self.scale.to(x.dtype))
        return apply_activation_(y, self.act or self.act_name)


def convert_conv_weights(module, types, dtype, memory_format):
    """Convolution weights and biases of ``types`` layers to ``dtype``.

    Weights also take ``memory_format``, the layout of the activations, so
    that no convolution converts its weight on every call. Norm parameters
    stay as they are (float32 statistics for half-precision inputs).
    """
    for layer in module.modules():
        if isinstance(layer, types):
            layer.weight = layer.weight.to(dtype).contiguous(
                memory_format=memory_format)
            if layer.bias is not None:
                layer.bias = layer.bias.to(dtype)
    return module

