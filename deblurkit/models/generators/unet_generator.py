"""A UNet decoder on a backbone: the official ``unet_seresnext`` generator."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from deblurkit.registry import BACKBONES, MODELS
from .fpn_generator import build_part
from .norm_stats import GeneratorNormStats


def conv_relu(in_channels, out_channels):
    """``conv3x3 (with bias) -> ReLU``."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.ReLU(inplace=True))


def decoder_block(in_channels, mid_channels, out_channels, deconv=True):
    """One UNet decoder stage, doubling the resolution.

    ``deconv``: ``conv_relu -> ConvTranspose4x4 (stride 2) -> InstanceNorm
    (no affine, no buffers) -> ReLU``; otherwise ``bilinear up2 -> conv_relu
    -> conv_relu``.
    """
    if deconv:
        return nn.Sequential(
            conv_relu(in_channels, mid_channels),
            nn.ConvTranspose2d(mid_channels, out_channels, 4, 2, 1),
            nn.InstanceNorm2d(out_channels, affine=False),
            nn.ReLU(inplace=True))
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False),
        conv_relu(in_channels, mid_channels),
        conv_relu(mid_channels, out_channels))


@MODELS.register_module()
class UNetGenerator(GeneratorNormStats, nn.Module):
    """UNet decoder over a backbone's maps at strides 4, 8, 16 and 32.

    The official ``UNetSEResNext`` on any backbone of ``BACKBONES`` (five
    maps at strides 2..32 and ``out_channels``; the stride-2 map is not
    used, as in the official module). With F = ``num_filters`` and
    ``c4..c32`` the backbone's channels:

    - ``center = conv_relu(c32 -> 16F) -> conv_relu(-> 8F)`` at stride 32
      (the official center never upsamples);
    - ``dec5(cat(center, e32))``, ``dec4(cat(dec5, e16))``,
      ``dec3(cat(dec4, e8))``, ``dec2(cat(dec3, e4))``, ``dec1(dec2)``:
      :func:`decoder_block` s with middle widths 16F, 8F, 4F, 2F, F and 2F
      outputs, each doubling the resolution;
    - ``dec0 = conv_relu`` of ``cat(dec1, up2(dec2), up4(dec3), up8(dec4),
      up16(dec5))`` (bilinear, 10F -> 2F), ``final = conv1x1(2F -> 3)``.

    The official module returns ``final`` unbounded; here the output keeps
    the generator contract: ``clamp(tanh(final) + x, -1, 1)`` with
    ``global_residual`` (default, as the FPN generators), else
    ``tanh(final)``.

    Args:
        backbone (dict): A backbone config; the official one is
            ``dict(type='TimmBackbone', model_name='seresnext50_32x4d')``.
        num_filters (int): F (32 in the official code).
        deconv (bool): Transposed-convolution decoder stages (official).
        global_residual (bool): Add the input (see above).
        norm_stats (str): ``'per_image'`` or ``'running'`` (the backbone's
            BatchNorms; the decoder's instance norms are always per image).
        train_norm_stats (str): ``'batch'`` or ``'per_image'``.

    Shapes: ``(N, 3, H, W)`` in [-1, 1], H and W multiples of 32 ->
    ``(N, 3, H, W)`` in [-1, 1].
    """

    pad_multiple = 32
    channels_last = True

    def __init__(self,
                 backbone=dict(
                     type='TimmBackbone', model_name='seresnext50_32x4d'),
                 num_filters=32,
                 deconv=True,
                 global_residual=True,
                 norm_stats='per_image',
                 train_norm_stats='batch'):
        super().__init__()
        self.global_residual = global_residual
        self.backbone = build_part(BACKBONES, backbone,
                                   'model.generator.backbone')
        channels = tuple(getattr(self.backbone, 'out_channels', ()))
        if len(channels) != 5:
            raise ValueError(
                f'backbone {type(self.backbone).__name__} must expose '
                '`out_channels`, five ints (maps at strides 2..32); got '
                f'{channels!r}')
        c4, c8, c16, c32 = channels[1:]
        f = num_filters
        self.center = nn.Sequential(
            conv_relu(c32, 16 * f), conv_relu(16 * f, 8 * f))
        self.dec5 = decoder_block(c32 + 8 * f, 16 * f, 2 * f, deconv)
        self.dec4 = decoder_block(c16 + 2 * f, 8 * f, 2 * f, deconv)
        self.dec3 = decoder_block(c8 + 2 * f, 4 * f, 2 * f, deconv)
        self.dec2 = decoder_block(c4 + 2 * f, 2 * f, 2 * f, deconv)
        self.dec1 = decoder_block(2 * f, f, 2 * f, deconv)
        self.dec0 = conv_relu(10 * f, 2 * f)
        self.final = nn.Conv2d(2 * f, 3, 1)
        self.init_norm_stats(norm_stats, train_norm_stats)

    def forward(self, x):
        _, e4, e8, e16, e32 = self.backbone(x)
        dec5 = self.dec5(torch.cat([self.center(e32), e32], 1))
        dec4 = self.dec4(torch.cat([dec5, e16], 1))
        dec3 = self.dec3(torch.cat([dec4, e8], 1))
        dec2 = self.dec2(torch.cat([dec3, e4], 1))
        maps = [self.dec1(dec2)]
        for scale, low in ((2, dec2), (4, dec3), (8, dec4), (16, dec5)):
            maps.append(
                F.interpolate(
                    low, scale_factor=scale, mode='bilinear',
                    align_corners=False))
        out = torch.tanh(self.final(self.dec0(torch.cat(maps, 1))))
        if self.global_residual:
            out = torch.clamp(out + x, -1, 1)
        return out
