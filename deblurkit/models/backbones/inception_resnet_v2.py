"""Inception-ResNet-v2 with the taps and padding of the official FPN."""
import torch.nn.functional as F

from deblurkit.registry import BACKBONES
from .base import BaseBackbone
from .pretrained import (load_matching, load_state_dict_file,
                         timm_pretrained_overlay)

_STAGES = (
    ('conv2d_1a', ),
    ('conv2d_2a', 'conv2d_2b', 'maxpool_3a'),
    ('conv2d_3b', 'conv2d_4a', 'maxpool_5a'),
    ('mixed_5b', 'repeat', 'mixed_6a'),
    ('repeat_1', 'mixed_7a'),
)
# Reflection padding (left, right, top, bottom) of each tap. The official FPN
# pads the lateral 1x1 convolutions of these unpadded features; a reflection
# pad commutes with a 1x1 convolution, so padding here gives the same numbers
# and keeps the FPN generic.
_TAP_PADDING = ((0, 1, 0, 1), (1, 1, 1, 1), (1, 2, 1, 2), (1, 1, 1, 1),
                (1, 1, 1, 1))
MIN_SIZE = 128


@BACKBONES.register_module()
class InceptionResNetV2(BaseBackbone):
    """Inception-ResNet-v2 (timm's ``inception_resnet_v2`` modules).

    The convolutions are unpadded, so each tap is reflection-padded to the
    nominal size ``H / stride`` exactly as the official FPN-Inception does.
    Only the layers up to ``mixed_7a`` are kept; ``repeat_2``, ``block8``,
    ``conv2d_7b`` and the classifier are dropped.

    Args:
        pretrained (bool | str): False, True (timm's ImageNet weights) or the
            path of a local file (timm or the official pretrainedmodels
            layout).

    Shapes: ``(N, 3, H, W)`` with H, W multiples of 32 and at least 128 ->
    five maps with channels ``(32, 64, 192, 1088, 2080)`` at strides
    ``(2, 4, 8, 16, 32)``.
    """

    out_channels = (32, 64, 192, 1088, 2080)

    def __init__(self, pretrained=False):
        super().__init__()
        import timm
        kwargs = {}
        if pretrained is True:
            kwargs['pretrained_cfg_overlay'] = timm_pretrained_overlay(
                'inception_resnet_v2', 'InceptionResNetV2',
                'model.generator.backbone.pretrained')
        net = timm.create_model(
            'inception_resnet_v2', pretrained=pretrained is True, **kwargs)
        for stage in _STAGES:
            for name in stage:
                self.add_module(name, getattr(net, name))
        if isinstance(pretrained, str):
            state = load_state_dict_file(pretrained, 'InceptionResNetV2')
            load_matching(self, state, 'InceptionResNetV2', repr(pretrained))

    def forward(self, x):
        if min(x.shape[-2:]) < MIN_SIZE:
            raise ValueError(
                f'InceptionResNetV2 needs inputs of at least {MIN_SIZE}x'
                f'{MIN_SIZE} (its convolutions are unpadded), got '
                f'{tuple(x.shape[-2:])}; pad or resize the image.')
        outs = []
        for stage, pad in zip(_STAGES, _TAP_PADDING):
            for name in stage:
                x = getattr(self, name)(x)
            outs.append(F.pad(x, pad, mode='reflect'))
        return tuple(outs)
