"""The 3x3 convolution of the FPN and head, dense or depthwise-separable."""
import torch.nn as nn

CONV_TYPES = ('conv', 'dsc')


class DepthwiseSeparableConv2d(nn.Module):
    """A depthwise 3x3 convolution followed by a pointwise 1x1 convolution.

    This is what turns the MobileNet generator into MobileNet-DSC (about a
    third of the MACs at the same layout).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        bias (bool): Bias of the pointwise convolution.

    Shapes: ``(N, in_channels, H, W) -> (N, out_channels, H, W)``.
    """

    def __init__(self, in_channels, out_channels, bias=True):
        super().__init__()
        self.depthwise = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size=3,
            padding=1,
            groups=in_channels,
            bias=False)
        self.pointwise = nn.Conv2d(
            in_channels, out_channels, kernel_size=1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


def build_conv3x3(conv_type, in_channels, out_channels, bias):
    """A 'same'-padded 3x3 convolution of the given type.

    Args:
        conv_type (str): ``'conv'`` (dense, as released) or ``'dsc'``
            (depthwise-separable, MobileNet-DSC).
    """
    if conv_type == 'conv':
        return nn.Conv2d(
            in_channels, out_channels, kernel_size=3, padding=1, bias=bias)
    if conv_type == 'dsc':
        return DepthwiseSeparableConv2d(in_channels, out_channels, bias=bias)
    raise ValueError(f'conv_type must be one of {CONV_TYPES}, '
                     f'got {conv_type!r}')
