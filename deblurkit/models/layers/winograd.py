"""Winograd 3x3 convolutions through PyTorch's NNPACK, for frozen layers.

oneDNN (PyTorch's CPU convolution) computes a 3x3 convolution directly,
``9 * C_in * C_out`` multiply-adds per output pixel. NNPACK, which most
PyTorch CPU builds include, has Winograd F(6x6, 3x3) kernels that need
about 1/5 of the multiply-adds (plus the tile transforms). Measured on a
2-core AMD EPYC (Zen 4, AVX-512; torch 2.14, one thread): VGG19 3x3
convolutions at 256x256 ran 1.9-2.3x faster than oneDNN's direct
kernels, and VGG19 to conv3_3 (two forwards and one input gradient, the
perceptual loss of a training step) 1.7x faster. With two threads the
GoPro training iteration was no faster (NNPACK's own thread pool and
PyTorch's OpenMP threads compete for the cores).

The price is rounding, not math: Winograd multiplies transformed tiles, so
each output carries a larger float32 rounding error than a direct sum,
about 4e-6 relative (L2, per layer) against float64 where oneDNN's direct
kernel is at 2-3e-7. That is why nothing uses it unless asked to
(``PerceptualLoss(conv_algorithm='winograd')``).

Only what a frozen feature extractor needs: the forward pass and the input
gradient (itself a 3x3 convolution, of the output gradient with the
transposed, rotated kernel, so Winograd too). Weight gradients are not
computed (the weights must not require grad).
"""
import torch
import torch.nn as nn


def winograd_available():
    """Whether this PyTorch has NNPACK (and initialise it: NNPACK's own
    initialisation happens in this call, and its convolutions fail before
    it)."""
    return bool(torch._nnpack_available())


def winograd_applies(conv, x):
    """Whether :func:`frozen_conv3x3` can compute ``conv(x)``: a frozen
    3x3, stride 1, padding 1, undilated, ungrouped convolution, on a float32
    CPU tensor."""
    return (isinstance(conv, nn.Conv2d) and conv.kernel_size == (3, 3)
            and conv.stride == (1, 1) and conv.padding == (1, 1)
            and conv.dilation == (1, 1) and conv.groups == 1
            and conv.padding_mode == 'zeros'
            and not conv.weight.requires_grad and x.device.type == 'cpu'
            and x.dtype == torch.float32 and x.dim() == 4)


class _FrozenWinogradConv3x3(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(weight)
        return torch._nnpack_spatial_convolution(x.contiguous(), weight,
                                                 bias, [1, 1], [1, 1])

    @staticmethod
    def backward(ctx, grad):
        weight, = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            # d out / d x of a 'same' 3x3 correlation: correlate the output
            # gradient with the kernel rotated by 180 degrees, in and out
            # channels swapped.
            rotated = weight.transpose(0, 1).flip(2, 3).contiguous()
            grad_input = torch._nnpack_spatial_convolution(
                grad.contiguous(), rotated, None, [1, 1], [1, 1])
        return grad_input, None, None


def frozen_conv3x3(conv, x):
    """``conv(x)`` with NNPACK's Winograd kernels, for a ``conv`` that
    :func:`winograd_applies` accepts; the input gradient flows (also through
    Winograd), the weights get none. The output is contiguous NCHW."""
    return _FrozenWinogradConv3x3.apply(x, conv.weight, conv.bias)
