"""A user's own backbone, registered from the user's own file."""
import torch.nn as nn

from deblurkit.registry import BACKBONES


@BACKBONES.register_module()
class TinyUserBackbone(nn.Module):
    """Five plain stride-2 convolutions."""

    out_channels = (8, 8, 16, 16, 32)

    def __init__(self, width=1):
        super().__init__()
        channels = (3, ) + tuple(c * width for c in self.out_channels)
        self.out_channels = channels[1:]
        self.stages = nn.ModuleList(
            nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1), nn.ReLU())
            for cin, cout in zip(channels[:-1], channels[1:]))

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return tuple(feats)
