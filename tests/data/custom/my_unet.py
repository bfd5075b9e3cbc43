"""A user's own generator: a small UNet, registered from the user's file.

The generator contract (deblurkit/models/generators/contract.py): map
(N, 3, H, W) in [-1, 1] to the same shape in [-1, 1], and declare the
multiple H and W must have (`pad_multiple`) so that deblurkit pads inputs.
"""
import torch
import torch.nn as nn

from deblurkit.registry import MODELS


def conv_relu(c_in, c_out, stride=1):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride, 1), nn.ReLU(inplace=True))


@MODELS.register_module()
class MyUNet(nn.Module):
    """Two stride-2 levels down, two up, skip connections, global residual.

    Args:
        width (int): Channels of the first level (doubled at each level).
    """

    pad_multiple = 4  # two stride-2 levels
    channels_last = True  # plain convolutions: channels-last pays

    def __init__(self, width=16):
        super().__init__()
        w = width
        self.enc1 = nn.Sequential(conv_relu(3, w), conv_relu(w, w))
        self.enc2 = conv_relu(w, 2 * w, stride=2)
        self.enc3 = conv_relu(2 * w, 4 * w, stride=2)
        self.up3 = nn.ConvTranspose2d(4 * w, 2 * w, 2, 2)
        self.dec2 = conv_relu(4 * w, 2 * w)
        self.up2 = nn.ConvTranspose2d(2 * w, w, 2, 2)
        self.dec1 = conv_relu(2 * w, w)
        self.out = nn.Conv2d(w, 3, 3, padding=1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        d2 = self.dec2(torch.cat([self.up3(self.enc3(e2)), e2], 1))
        d1 = self.dec1(torch.cat([self.up2(d2), e1], 1))
        return torch.clamp(torch.tanh(self.out(d1)) + x, -1, 1)
