"""The PatchGAN discriminator of DeblurGAN-v2 (the official
``NLayerDiscriminator``)."""
import torch.nn as nn

from deblurkit.registry import DISCRIMINATORS
from ..layers.winograd_conv import check_conv_algorithm
from .patch_blocks import (check_norm, check_positive_int,
                           downsampling_layers, prediction_tail,
                           receptive_field)


@DISCRIMINATORS.register_module()
class PatchDiscriminator(nn.Module):
    """PatchGAN: a map of real/fake logits, one per overlapping patch.

    Layout (``b = base_channels``, ``c(n) = b * min(2 ** n, 8)``):

    - conv4x4 stride 2 pad 2 (``in_channels -> b``, bias), LeakyReLU(0.2);
    - for ``n = 1 .. n_layers - 1``: conv4x4 stride 2 pad 2
      (``c(n - 1) -> c(n)``), norm, LeakyReLU(0.2);
    - conv4x4 stride 1 pad 2 (``c(n_layers - 1) -> c(n_layers)``), norm,
      LeakyReLU(0.2);
    - conv4x4 stride 1 pad 2 (``c(n_layers) -> 1``, bias). No sigmoid.

    With the defaults the channels are 64, 128, 256, 512, 1 and the
    receptive field is 70x70 pixels; ``n_layers=5`` (the "full"
    discriminator of double_gan) gives 64, 128, 256, 512, 512, 512, 1 and
    286x286.

    Parameter names follow the official ``NLayerDiscriminator``, so its
    weights load after stripping DataParallel's ``module.`` prefix. Every
    layer is an entry of the Sequential ``model`` (activations included),
    so for ``n_layers=3`` the convolutions are ``model.0``, ``model.2``,
    ``model.5``, ``model.8``, ``model.11`` and the norms ``model.3``,
    ``model.6``, ``model.9`` (instance norm: only ``running_mean``,
    ``running_var``, ``num_batches_tracked`` buffers). With ``norm='none'``
    the norms are ``nn.Identity`` so the indices stay the same.

    Args:
        in_channels (int): Channels of the images. Default: 3.
        base_channels (int): Channels of the first convolution. Default: 64.
        n_layers (int): Number of stride-2 convolutions. Default: 3.
        norm (str): ``'instance'`` (as released:
            ``InstanceNorm2d(affine=False, track_running_stats=True)``),
            ``'batch'`` or ``'none'``. Convolutions followed by a batch norm
            have no bias. Default: ``'instance'``.
        conv_algorithm (str): How the stride-1 512-channel convolution is
            computed on the CPU: ``'auto'`` (Winograd F(3x3, 4x4) in
            float32 outside autocast, see
            :mod:`deblurkit.models.layers.winograd_conv`; same values up
            to float32 rounding, about 0.6x the time) or ``'direct'``
            (``F.conv2d`` everywhere). Not in the ``state_dict``.
            Default: ``'auto'``.

    Shapes:
        - Input: ``(N, in_channels, H, W)`` images in [-1, 1].
        - Output: a list with one ``(N, 1, H', W')`` logit map, where each
          stride-2 convolution maps a size ``s`` to ``s // 2 + 1`` and each
          of the two stride-1 convolutions adds 1 (64 -> 11 with the
          defaults, 256 -> 35).
    """

    # Each image's maps depend on that image alone (no batch norm is
    # built unless norm='batch', which the adversarial losses check): they
    # may run the real and fake batches in one call.
    per_sample = True

    def __init__(self,
                 in_channels=3,
                 base_channels=64,
                 n_layers=3,
                 norm='instance',
                 conv_algorithm='auto'):
        super().__init__()
        check_positive_int(in_channels, 'in_channels')
        check_positive_int(base_channels, 'base_channels')
        check_positive_int(n_layers, 'n_layers')
        check_norm(norm)
        check_conv_algorithm(conv_algorithm)
        self.n_layers = n_layers
        self.norm = norm
        self.model = nn.Sequential(
            *downsampling_layers(in_channels, base_channels, 0, n_layers,
                                 norm),
            *prediction_tail(base_channels, n_layers, norm, conv_algorithm))

    @property
    def receptive_fields(self):
        """list[int]: The receptive field (pixels, square) of each output."""
        return [receptive_field([self.model])]

    def forward(self, x):
        """Return ``[logits]`` for images ``x`` of shape ``(N, C, H, W)``."""
        return [self.model(x)]
