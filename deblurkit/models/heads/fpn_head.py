"""The deblurring head of DeblurGAN-v2."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from deblurkit.registry import HEADS
from ..layers import build_conv3x3, build_norm_layer


class BranchHead(nn.Module):
    """conv3x3 -> ReLU -> conv3x3 -> ReLU, no bias (``block0``, ``block1``)."""

    def __init__(self, in_channels, channels, conv_type='conv'):
        super().__init__()
        self.block0 = build_conv3x3(conv_type, in_channels, channels, False)
        self.block1 = build_conv3x3(conv_type, channels, channels, False)

    def forward(self, x):
        return F.relu(self.block1(F.relu(self.block0(x))))


@HEADS.register_module()
class FPNHead(nn.Module):
    """Fuse the pyramid into a full-resolution residual image.

    Four branch heads (``head1..4``) process map1..map4 and are upsampled
    (nearest) to map1's size; ``smooth`` (conv3x3 with bias -> norm -> ReLU)
    fuses their concatenation ``[map4, map3, map2, map1]``; the result is
    upsampled x2, map0 is added, ``smooth2`` halves the channels, another x2
    upsampling reaches the input size, and ``final`` gives the residual. The
    generator adds it to the input as ``clamp(tanh(residual) + x, -1, 1)``.

    Args:
        in_channels (int): F, channels of map1..map4 (map0 must have C).
        num_filters (int): C, the head width (64 MobileNet, 128 Inception).
        out_channels (int): Channels of the output image.
        norm (str): ``'instance'`` (as released), ``'batch'`` or ``'none'``.
        conv_type (str): ``'conv'`` or ``'dsc'`` (depthwise-separable).
        zero_init_residual (bool): Start ``final`` at zero, so an untrained
            generator returns its input unchanged and training begins from
            the identity instead of from noise (useful from scratch; the
            official code does not do it).

    Shapes: ``(map0, ..., map4)`` at strides 2..32 -> residual
    ``(N, out_channels, H, W)`` (stride 1).
    """

    def __init__(self,
                 in_channels=128,
                 num_filters=64,
                 out_channels=3,
                 norm='instance',
                 conv_type='conv',
                 zero_init_residual=False):
        super().__init__()
        c = num_filters
        for k in (1, 2, 3, 4):
            self.add_module(f'head{k}',
                            BranchHead(in_channels, c, conv_type))
        self.smooth = nn.Sequential(
            build_conv3x3(conv_type, 4 * c, c, True), build_norm_layer(norm, c),
            nn.ReLU())
        self.smooth2 = nn.Sequential(
            build_conv3x3(conv_type, c, c // 2, True),
            build_norm_layer(norm, c // 2), nn.ReLU())
        self.final = build_conv3x3(conv_type, c // 2, out_channels, True)
        if zero_init_residual:
            last = getattr(self.final, 'pointwise', self.final)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, maps):
        return self.final(self.features(maps))

    def features(self, maps):
        """The input-sized features ``final`` turns into the residual.

        ``smooth2``'s output, upsampled x2 (nearest): ``(N, C // 2, H, W)``.
        """
        map0, map1, map2, map3, map4 = maps
        size = map1.shape[-2:]
        branches = [
            F.interpolate(self.head4(map4), size=size, mode='nearest'),
            F.interpolate(self.head3(map3), size=size, mode='nearest'),
            F.interpolate(self.head2(map2), size=size, mode='nearest'),
            self.head1(map1),
        ]
        x = self.smooth(torch.cat(branches, dim=1))
        x = F.interpolate(x, scale_factor=2, mode='nearest')
        x = self.smooth2(x + map0)
        return F.interpolate(x, scale_factor=2, mode='nearest')
