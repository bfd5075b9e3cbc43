"""A user's own discriminator and adversarial loss (see
docs/advanced_guides/registries_and_custom_modules.md)."""
import torch.nn as nn
import torch.nn.functional as F

from deblurkit.registry import DISCRIMINATORS, LOSSES


@DISCRIMINATORS.register_module()
class TinyPatchD(nn.Module):
    """Two convolutions: a patch map of scores."""

    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width, 1, 4, 1, 1))

    def forward(self, x):
        return self.net(x)


@LOSSES.register_module()
class HingeGANLoss(nn.Module):
    """The hinge GAN loss."""

    def loss_d(self, D, real, fake):
        return F.relu(1 - D(real)).mean() + F.relu(1 + D(fake)).mean()

    def loss_g(self, D, real, fake):
        return -D(fake).mean()
