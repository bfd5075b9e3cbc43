"""Layers shared by the PatchGAN-style discriminators.

Every discriminator of DeblurGAN-v2 is a chain of 4x4 convolutions, each
followed by a norm and a LeakyReLU(0.2), ending with a 4x4 convolution to one
channel. These helpers return plain lists of modules so that a discriminator
can lay them out flat in one ``nn.Sequential`` and keep the official indices
(``model.0``, ``model.2``, ...) in its parameter names.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..layers.winograd_conv import WinogradConv2d

NORM_TYPES = ('instance', 'batch', 'none')
KERNEL_SIZE = 4
# The official code pads with ceil((4 - 1) / 2) = 2, one more than 'same'
# would need: every stride-1 convolution grows the map by one pixel.
PADDING = 2
MAX_CHANNEL_MULTIPLIER = 8


def check_norm(norm, arg_name='norm'):
    """Raise a ValueError naming ``arg_name`` unless ``norm`` is known."""
    if norm not in NORM_TYPES:
        raise ValueError(
            f'{arg_name} must be one of {NORM_TYPES}, got {norm!r}')


def check_positive_int(value, arg_name):
    """Raise a ValueError naming ``arg_name`` unless ``value`` is an int >= 1.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f'{arg_name} must be a positive integer, got {value!r}')


def build_discriminator_norm(norm, channels):
    """The norm layer of a discriminator block.

    Plain torch layers, as the official code: unlike the generator's norms,
    a discriminator is only ever run in train mode.

    Args:
        norm (str): ``'instance'`` (``InstanceNorm2d(affine=False,
            track_running_stats=True)``: running buffers, no weights),
            ``'batch'`` (``BatchNorm2d`` with affine weights) or ``'none'``
            (an ``nn.Identity``, which keeps the indices of the layers after
            it the same as with a norm).
        channels (int): Number of channels.
    """
    check_norm(norm)
    if norm == 'instance':
        return nn.InstanceNorm2d(
            channels, affine=False, track_running_stats=True)
    if norm == 'batch':
        return nn.BatchNorm2d(channels)
    return nn.Identity()


def conv_norm_act(in_channels,
                  out_channels,
                  stride,
                  norm,
                  conv_algorithm='auto'):
    """``[conv4x4, norm, LeakyReLU(0.2)]``.

    The convolution has a bias unless a batch norm follows it (the official
    ``use_bias = norm_layer == InstanceNorm2d``; with no norm at all nothing
    would make up for a missing bias, so ``'none'`` keeps it too). A
    stride-1 one is a :class:`~deblurkit.models.layers.winograd_conv.
    WinogradConv2d` (an ``nn.Conv2d`` with a Winograd CPU path) with
    ``conv_algorithm``.
    """
    conv_type, extra = nn.Conv2d, {}
    if stride == 1:
        conv_type, extra = WinogradConv2d, dict(conv_algorithm=conv_algorithm)
    return [
        conv_type(
            in_channels,
            out_channels,
            KERNEL_SIZE,
            stride=stride,
            padding=PADDING,
            bias=norm != 'batch',
            **extra),
        build_discriminator_norm(norm, out_channels),
        nn.LeakyReLU(0.2, inplace=True)
    ]


def stage_channels(base_channels, index):
    """Output channels of the ``index``-th 4x4 convolution (0-based).

    ``base_channels * min(2 ** index, 8)``: 64, 128, 256, 512, 512, ...
    """
    return base_channels * min(2**index, MAX_CHANNEL_MULTIPLIER)


def downsampling_layers(in_channels, base_channels, start, stop, norm):
    """Stride-2 blocks number ``start + 1`` to ``stop`` of the trunk.

    The first block of a trunk (``start == 0``) has no norm and always a
    bias, as in the official code.

    Args:
        in_channels (int): Channels of the images (used when ``start == 0``).
        base_channels (int): Channels of the first block.
        start (int): Number of downsamplings already applied to the input.
        stop (int): Number of downsamplings applied to the output.
        norm (str): See :func:`build_discriminator_norm`.

    Returns:
        list[nn.Module]: Each block maps ``(N, C, H, W)`` to
        ``(N, C', H // 2 + 1, W // 2 + 1)``.
    """
    layers = []
    for index in range(start, stop):
        if index == 0:
            layers += [
                nn.Conv2d(
                    in_channels,
                    base_channels,
                    KERNEL_SIZE,
                    stride=2,
                    padding=PADDING),
                nn.LeakyReLU(0.2, inplace=True)
            ]
        else:
            layers += conv_norm_act(
                stage_channels(base_channels, index - 1),
                stage_channels(base_channels, index), 2, norm)
    return layers


class _GradAsParam(torch.autograd.Function):
    """Identity whose backward gives the gradient the strides of a freshly
    allocated tensor of its shape. The matrix-product path below returns
    the weight's gradient with another stride on its size-1 output-channel
    dimension; autograd stores it as the parameter's ``.grad`` unchanged,
    and DDP, whose bucket views have the parameter's strides, then warns
    "Grad strides do not match bucket view strides" on every step."""

    @staticmethod
    def forward(ctx, weight):
        ctx.strides = weight.stride()
        return weight.view_as(weight)

    @staticmethod
    def backward(ctx, grad):
        if grad.stride() != ctx.strides:
            grad = grad.clone(memory_format=torch.contiguous_format)
        return grad


class LogitConv2d(nn.Conv2d):
    """The last convolution of a trunk (4x4, stride 1, to one channel), with
    a CPU path that suits its shape.

    A plain ``nn.Conv2d`` (same parameters, same ``state_dict``). On the CPU
    it is computed as one matrix product and a sum of shifted maps: with
    ``W`` the weight as a ``(out * 16, C)`` matrix, ``Z = W @ x`` has one
    map per output channel and kernel tap, and the output is the sum over
    the taps ``(i, j)`` of ``Z[i, j]`` shifted by ``(i, j)`` on the
    zero-padded grid (padding commutes with the channel sum, so only the 16
    maps of ``Z`` are padded, not the ``C`` input channels). The same
    products, summed in another order: within float32 rounding of
    ``F.conv2d`` (1e-6 relative, the tests check it); autograd gives the
    gradients through the matrix product. oneDNN has no good kernel for
    one output channel: measured on a 2-core AVX-512 EPYC (one thread),
    forward + backward of 512 -> 1 at 34x34 took 9.5 ms (batch 1) and 25
    ms (batch 2) with ``F.conv2d``, 2.4 ms and 15 ms this way. Elsewhere
    (CUDA) ``F.conv2d`` runs.
    """

    def forward(self, x):
        if x.device.type != 'cpu' or x.dim() != 4:
            return super().forward(x)
        n, c, h, w = x.shape
        out = self.out_channels
        kh, kw = self.kernel_size
        ph, pw = self.padding
        weight = _GradAsParam.apply(self.weight).permute(0, 2, 3, 1).reshape(
            out * kh * kw, c)
        taps = torch.matmul(weight, x.reshape(n, c, h * w))
        taps = F.pad(taps.view(n, out * kh * kw, h, w), (pw, pw, ph, ph))
        taps = taps.view(n, out, kh, kw, h + 2 * ph, w + 2 * pw)
        oh, ow = h + 2 * ph - kh + 1, w + 2 * pw - kw + 1
        result = None
        for i in range(kh):
            for j in range(kw):
                tap = taps[:, :, i, j, i:i + oh, j:j + ow]
                result = tap if result is None else result + tap
        if self.bias is not None:
            result = result + self.bias.view(1, out, 1, 1)
        return result


def prediction_tail(base_channels, depth, norm, conv_algorithm='auto'):
    """The two stride-1 convolutions that end a trunk of ``depth`` blocks.

    ``conv4x4 -> norm -> LeakyReLU -> conv4x4 to 1 channel`` (no sigmoid:
    the losses take logits). Each convolution grows the map by one pixel.
    The last one is a :class:`LogitConv2d` (an ``nn.Conv2d`` with a faster
    CPU path); the first a :class:`~deblurkit.models.layers.winograd_conv.
    WinogradConv2d` with ``conv_algorithm`` (``'auto'``: Winograd on the
    CPU where it pays; ``'direct'``: ``F.conv2d``).
    """
    channels = stage_channels(base_channels, depth)
    return conv_norm_act(
        stage_channels(base_channels, depth - 1), channels, 1, norm,
        conv_algorithm) + [
            LogitConv2d(
                channels, 1, KERNEL_SIZE, stride=1, padding=PADDING)
        ]


def receptive_field(modules):
    """Receptive field, in input pixels, of a chain of layers.

    Only convolutions and poolings count; element-wise layers (norms,
    activations) do not change it. Instance and batch norms mix whole maps,
    so this is the field of the convolutions alone.

    Args:
        modules (Iterable[nn.Module]): The chain, in order; nested modules
            are walked with ``.modules()``.
    """
    field, jump = 1, 1
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
                kernel = _first(layer.kernel_size)
                dilation = _first(getattr(layer, 'dilation', 1))
                field += (kernel - 1) * dilation * jump
                jump *= _first(layer.stride)
    return field


def _first(value):
    return value[0] if isinstance(value, tuple) else value
