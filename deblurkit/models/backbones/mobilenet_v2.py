"""MobileNetV2 in the classic layout that the released weights use."""
import torch.nn as nn

from deblurkit.registry import BACKBONES
from .base import BaseBackbone
from .pretrained import (load_matching, load_state_dict_file,
                         timm_pretrained_overlay)

# (expand ratio t, output channels c, repeats n, first stride s). The classic
# network has three 160-channel blocks, a 320 one and a 1x1 conv to 1280
# (features[16:19]); the generator never uses them, so they are not built.
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
             (6, 96, 3, 1), (6, 160, 2, 2))
# features[a:b] of each tap.
_TAPS = ((0, 2), (2, 4), (4, 7), (7, 11), (11, 16))


class InvertedResidual(nn.Module):
    """MobileNetV2 block; module names follow the released checkpoints.

    ``conv`` is ``[dw, bn, relu6, pw, bn]`` when ``expand_ratio == 1``,
    else ``[pw, bn, relu6, dw, bn, relu6, pw-linear, bn]``. No conv bias.
    """

    def __init__(self, in_channels, out_channels, stride, expand_ratio):
        super().__init__()
        hidden = round(in_channels * expand_ratio)
        self.use_residual = stride == 1 and in_channels == out_channels
        layers = []
        if expand_ratio != 1:
            layers += [
                nn.Conv2d(in_channels, hidden, 1, bias=False),
                nn.BatchNorm2d(hidden),
                nn.ReLU6(inplace=True)
            ]
        layers += [
            nn.Conv2d(
                hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels)
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        out = self.conv(x)
        return x + out if self.use_residual else out


def _timm_to_features(state):
    """Map timm ``mobilenetv2_100`` keys onto ``features.*`` of this layout."""
    renamed = {}
    block_names = {
        'conv_pw': 0, 'bn1': 1, 'conv_dw': 3, 'bn2': 4, 'conv_pwl': 6,
        'bn3': 7
    }
    first_block = {'conv_dw': 0, 'bn1': 1, 'conv_pw': 3, 'bn2': 4}
    index = 1
    starts = {}
    for stage, (_, _, repeats, _) in enumerate(_SETTINGS):
        for j in range(repeats):
            starts[(stage, j)] = index
            index += 1
    for key, value in state.items():
        parts = key.split('.')
        if parts[0] == 'conv_stem':
            renamed['features.0.0.' + parts[1]] = value
        elif parts[0] == 'bn1':
            renamed['features.0.1.' + parts[1]] = value
        elif parts[0] == 'blocks':
            stage, j, layer = int(parts[1]), int(parts[2]), parts[3]
            if (stage, j) not in starts:
                continue  # the 320-channel block is not built
            table = first_block if stage == 0 else block_names
            renamed[f'features.{starts[(stage, j)]}.conv.{table[layer]}.'
                    + '.'.join(parts[4:])] = value
    return renamed


@BACKBONES.register_module()
class MobileNetV2(BaseBackbone):
    """MobileNetV2 (width 1.0) with the taps of the official FPN-MobileNet.

    Args:
        pretrained (bool | str): False for random weights, True for the
            ImageNet weights of timm's ``mobilenetv2_100`` (mapped onto this
            layout), or the path of a local file holding either layout.

    Shapes: ``(N, 3, H, W)`` -> five maps with channels ``(16, 24, 32, 64,
    160)`` at strides ``(2, 4, 8, 16, 32)``.
    """

    out_channels = (16, 24, 32, 64, 160)

    def __init__(self, pretrained=False):
        super().__init__()
        layers = [
            nn.Sequential(
                nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32),
                nn.ReLU6(inplace=True))
        ]
        in_channels = 32
        for t, c, n, s in _SETTINGS:
            for i in range(n):
                layers.append(
                    InvertedResidual(in_channels, c, s if i == 0 else 1, t))
                in_channels = c
        self.features = nn.Sequential(*layers)
        if pretrained:
            self.load_pretrained(pretrained)

    def load_pretrained(self, pretrained):
        owner = 'MobileNetV2'
        if pretrained is True:
            import timm
            overlay = timm_pretrained_overlay(
                'mobilenetv2_100', owner,
                'model.generator.backbone.pretrained')
            net = timm.create_model(
                'mobilenetv2_100',
                pretrained=True,
                pretrained_cfg_overlay=overlay)
            state, source = net.state_dict(), "timm 'mobilenetv2_100'"
        else:
            state = load_state_dict_file(pretrained, owner)
            source = repr(pretrained)
        if 'conv_stem.weight' in state:
            state = _timm_to_features(state)
        # Extra keys (features[16:], a classifier) are not built: ignored.
        load_matching(self, state, owner, source)

    def forward(self, x):
        outs = []
        for start, stop in _TAPS:
            for layer in self.features[start:stop]:
                x = layer(x)
            outs.append(x)
        return tuple(outs)
