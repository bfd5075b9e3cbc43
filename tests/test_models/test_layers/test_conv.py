"""The 3x3 convolutions of the FPN and the head."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from deblurkit.models.layers import DepthwiseSeparableConv2d
from deblurkit.models.layers.conv import build_conv3x3


def test_depthwise_separable_is_a_dense_conv_with_kernel_p_times_d():
    torch.manual_seed(0)
    conv = DepthwiseSeparableConv2d(4, 6, bias=True).double()
    x = torch.randn(2, 4, 9, 11, dtype=torch.float64)
    d = conv.depthwise.weight[:, 0]          # (4, 3, 3)
    p = conv.pointwise.weight[:, :, 0, 0]    # (6, 4)
    dense = p[:, :, None, None] * d[None]    # (6, 4, 3, 3)
    expected = F.conv2d(x, dense, conv.pointwise.bias, padding=1)
    with torch.no_grad():
        torch.testing.assert_close(conv(x), expected)


@pytest.mark.parametrize('conv_type,bias', [('conv', True), ('conv', False),
                                            ('dsc', True), ('dsc', False)])
def test_build_conv3x3_keeps_the_size(conv_type, bias):
    conv = build_conv3x3(conv_type, 5, 7, bias)
    assert conv(torch.zeros(1, 5, 6, 8)).shape == (1, 7, 6, 8)
    last = conv if conv_type == 'conv' else conv.pointwise
    assert (last.bias is not None) == bias
    assert isinstance(conv, nn.Conv2d if conv_type == 'conv' else
                      DepthwiseSeparableConv2d)


def test_unknown_conv_type_is_named():
    with pytest.raises(ValueError, match="'sep'"):
        build_conv3x3('sep', 3, 3, True)
