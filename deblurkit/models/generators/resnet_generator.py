"""The DeblurGAN (v1) generator: ResNet blocks between down- and upsampling.

The official DeblurGAN-v2 code keeps it as the ``resnet`` generator
(``models/networks.py``); its config uses 9 blocks, instance norm, dropout
and ``learn_residual``.
"""
import torch
import torch.nn as nn

from deblurkit.registry import MODELS
from ..layers import build_norm_layer
from .norm_stats import GeneratorNormStats

PADDINGS = {'reflect': nn.ReflectionPad2d, 'replicate': nn.ReplicationPad2d,
            'zero': None}


class ResnetBlock(nn.Module):
    """``x + norm(conv3x3(relu(norm(conv3x3(x)))))``, with optional dropout
    between the two convolutions.

    Args:
        channels (int): Width.
        padding (str): ``'reflect'``, ``'replicate'`` or ``'zero'``.
        norm (str): ``'instance'``, ``'batch'`` or ``'none'``.
        dropout (bool): Dropout 0.5 after the first ReLU.
        bias (bool): Bias of the convolutions.

    Shapes: ``(N, C, H, W)`` -> ``(N, C, H, W)``.
    """

    def __init__(self, channels, padding='reflect', norm='instance',
                 dropout=False, bias=True):
        super().__init__()
        layers = []
        for last in (False, True):
            layers += _padded_conv3x3(channels, padding, bias)
            layers.append(build_norm_layer(norm, channels))
            if not last:
                layers.append(nn.ReLU(True))
                if dropout:
                    layers.append(nn.Dropout(0.5))
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv_block(x)


def _padded_conv3x3(channels, padding, bias):
    if padding not in PADDINGS:
        raise ValueError(
            f'padding must be one of {sorted(PADDINGS)}, got {padding!r}')
    if PADDINGS[padding] is None:
        return [nn.Conv2d(channels, channels, 3, padding=1, bias=bias)]
    return [PADDINGS[padding](1), nn.Conv2d(channels, channels, 3, bias=bias)]


@MODELS.register_module()
class ResnetGenerator(GeneratorNormStats, nn.Module):
    """DeblurGAN v1 generator (Kupyn et al., CVPR 2018).

    ``reflect-pad 3 -> conv7x7 (3 -> C) -> norm -> ReLU``, two stride-2
    ``conv3x3 -> norm -> ReLU`` (C -> 2C -> 4C), ``num_blocks``
    :class:`ResnetBlock` at 4C, two stride-2 transposed ``conv3x3 -> norm
    -> ReLU`` (4C -> 2C -> C), ``reflect-pad 3 -> conv7x7 (C -> 3) ->
    tanh``; with ``learn_residual`` the input is added and the sum clamped
    to [-1, 1]. Layers are numbered in ``model`` as in the official module.

    Args:
        base_channels (int): C (``ngf``, 64 in the official code).
        num_blocks (int): ResNet blocks (9 in the official config).
        norm (str): ``'instance'`` (the official config:
            ``InstanceNorm2d(affine=False, track_running_stats=True)``),
            ``'batch'`` or ``'none'``. Convolutions have a bias unless the
            norm is ``'batch'``, as in the official code.
        dropout (bool): Dropout 0.5 inside each block (on in the official
            config).
        learn_residual (bool): Output ``clamp(x + tanh(...), -1, 1)``.
        padding (str): Padding inside the blocks: ``'reflect'``,
            ``'replicate'`` or ``'zero'``.
        norm_stats (str): Statistics of the norms in eval mode,
            ``'per_image'`` or ``'running'`` (see ``FPNGenerator``).
        train_norm_stats (str): ``'batch'`` or ``'per_image'``.

    Shapes: ``(N, 3, H, W)`` in [-1, 1], H and W multiples of 4 ->
    ``(N, 3, H, W)`` in [-1, 1].
    """

    # Two stride-2 stages: other sizes come back a few pixels larger.
    pad_multiple = 4
    channels_last = True

    def __init__(self,
                 base_channels=64,
                 num_blocks=9,
                 norm='instance',
                 dropout=False,
                 learn_residual=True,
                 padding='reflect',
                 norm_stats='per_image',
                 train_norm_stats='batch'):
        super().__init__()
        if num_blocks < 0:
            raise ValueError(f'num_blocks must be >= 0, got {num_blocks}')
        self.learn_residual = learn_residual
        bias = norm != 'batch'
        c = base_channels
        layers = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(3, c, 7, bias=bias),
            build_norm_layer(norm, c),
            nn.ReLU(True)
        ]
        for mult in (1, 2):
            layers += [
                nn.Conv2d(c * mult, c * mult * 2, 3, 2, 1, bias=bias),
                build_norm_layer(norm, c * mult * 2),
                nn.ReLU(True)
            ]
        layers += [
            ResnetBlock(4 * c, padding, norm, dropout, bias)
            for _ in range(num_blocks)
        ]
        for mult in (4, 2):
            layers += [
                nn.ConvTranspose2d(
                    c * mult, c * mult // 2, 3, 2, 1, output_padding=1,
                    bias=bias),
                build_norm_layer(norm, c * mult // 2),
                nn.ReLU(True)
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        self.init_norm_stats(norm_stats, train_norm_stats)

    def forward(self, x):
        out = self.model(x)
        if self.learn_residual:
            out = torch.clamp(x + out, -1, 1)
        return out
