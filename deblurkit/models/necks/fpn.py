"""The feature pyramid of DeblurGAN-v2."""
import torch.nn as nn
import torch.nn.functional as F

from deblurkit.registry import NECKS
from ..layers import build_conv3x3, build_norm_layer


@NECKS.register_module()
class FPN(nn.Module):
    """Top-down feature pyramid over five backbone maps.

    ``lateral_i`` are 1x1 convolutions without bias (map 0 gets
    ``num_filters // 2`` channels, the others ``num_filters``);
    ``map4 = lateral4`` and ``map_k = td(lateral_k + up2(map_{k+1}))`` for
    k = 3, 2, 1, where ``td`` is conv3x3 (with bias) -> norm -> ReLU and up2
    is nearest-neighbour upsampling by 2. Module names follow the released
    checkpoints (``lateral0..4``, ``td1..3``).

    Args:
        in_channels (Sequence[int]): Channels of the five backbone maps,
            strides 2 to 32 (the generator passes the backbone's
            ``out_channels``).
        num_filters (int): F, the pyramid width (128 MobileNet, 256
            Inception).
        norm (str): ``'instance'`` (as released), ``'batch'`` or ``'none'``.
        conv_type (str): ``'conv'`` or ``'dsc'`` (depthwise-separable).
        top_down_convs (bool): False drops ``td``: ``map_k = lateral_k +
            up2(map_{k+1})``, as the official FPN-Inception "simple" and
            FPN-DenseNet generators.

    Shapes: five maps ``(N, in_channels[i], H / 2^(i+1), W / 2^(i+1))`` ->
    ``(map0, map1, map2, map3, map4)`` with ``F/2, F, F, F, F`` channels at
    the same strides.
    """

    def __init__(self,
                 in_channels,
                 num_filters=128,
                 norm='instance',
                 conv_type='conv',
                 top_down_convs=True):
        super().__init__()
        self.top_down_convs = top_down_convs
        in_channels = tuple(in_channels)
        if len(in_channels) != 5:
            raise ValueError(
                f'FPN needs 5 input maps (strides 2 to 32), got in_channels='
                f'{in_channels}')
        self.in_channels = in_channels
        self.num_filters = num_filters
        for i, channels in enumerate(in_channels):
            out = num_filters // 2 if i == 0 else num_filters
            self.add_module(f'lateral{i}',
                            nn.Conv2d(channels, out, 1, bias=False))
        for k in (1, 2, 3) if top_down_convs else ():
            self.add_module(
                f'td{k}',
                nn.Sequential(
                    build_conv3x3(conv_type, num_filters, num_filters, True),
                    build_norm_layer(norm, num_filters),
                    nn.ReLU(inplace=True)))

    @property
    def out_channels(self):
        return (self.num_filters // 2, ) + (self.num_filters, ) * 4

    def forward(self, feats):
        enc0, enc1, enc2, enc3, enc4 = feats
        td = (self.td1, self.td2, self.td3) if self.top_down_convs else \
            (_same, ) * 3
        map4 = self.lateral4(enc4)
        map3 = td[0](self.lateral3(enc3) + _up2(map4))
        map2 = td[1](self.lateral2(enc2) + _up2(map3))
        map1 = td[2](self.lateral1(enc1) + _up2(map2))
        return self.lateral0(enc0), map1, map2, map3, map4


def _same(x):
    return x


def _up2(x):
    return F.interpolate(x, scale_factor=2, mode='nearest')
