"""The ``multi_scale`` discriminator option of DeblurGAN-v2."""
import torch.nn as nn

from deblurkit.registry import DISCRIMINATORS
from ..layers.winograd_conv import check_conv_algorithm
from .patch_blocks import (check_norm, check_positive_int,
                           downsampling_layers, prediction_tail,
                           receptive_field)


@DISCRIMINATORS.register_module()
class MultiScaleDiscriminator(nn.Module):
    """One trunk of stride-2 convolutions with prediction heads at several
    depths.

    With the defaults this is the official ``MultiScaleDiscriminator``: the
    trunk is the first 3 blocks of a :class:`PatchDiscriminator` (64, 128,
    256 channels), then two more stride-2 blocks (512, 512); a head after 3,
    4 and 5 downsamplings predicts a logit map. A head is the tail of a
    :class:`PatchDiscriminator` of that depth (conv4x4 stride 1 to 512
    channels, norm, LeakyReLU, conv4x4 stride 1 to 1 channel), so the three
    maps have receptive fields of 70, 142 and 286 pixels.

    Parameter names: ``stages.i`` is the part of the trunk that ends at head
    ``i`` and ``heads.i`` the head (the official ``scale_one``,
    ``scale_two``, ``scale_three`` and ``first_tail.model``,
    ``second_tail.model``, ``third_tail.model``, with the same indices).
    No weights were released for this option.

    Args:
        in_channels (int): Channels of the images. Default: 3.
        base_channels (int): Channels of the first convolution. Default: 64.
        depths (Sequence[int]): Increasing numbers of downsamplings after
            which a head predicts. Default: ``(3, 4, 5)``.
        norm (str): Norm of the trunk: ``'instance'``, ``'batch'`` or
            ``'none'``. Default: ``'instance'``.
        head_norm (str | None): Norm of the heads; None uses ``norm``. The
            official code builds its heads with ``'batch'`` whatever the
            configured norm (it does not pass its norm to them): set
            ``head_norm='batch'`` to reproduce that. Default: None.
        conv_algorithm (str): How the heads' stride-1 convolutions run on
            the CPU, ``'auto'`` or ``'direct'`` (see
            :class:`PatchDiscriminator`). Default: ``'auto'``.

    Shapes:
        - Input: ``(N, in_channels, H, W)`` images in [-1, 1].
        - Output: a list of ``len(depths)`` maps ``(N, 1, H_i, W_i)``,
          shallowest first (64x64 input: 11x11, 7x7, 5x5; 256x256: 35x35,
          19x19, 11x11).
    """

    # Each image's maps depend on that image alone (no batch norm is
    # built unless norm='batch', which the adversarial losses check): they
    # may run the real and fake batches in one call.
    per_sample = True

    def __init__(self,
                 in_channels=3,
                 base_channels=64,
                 depths=(3, 4, 5),
                 norm='instance',
                 head_norm=None,
                 conv_algorithm='auto'):
        super().__init__()
        check_positive_int(in_channels, 'in_channels')
        check_positive_int(base_channels, 'base_channels')
        check_norm(norm)
        head_norm = norm if head_norm is None else head_norm
        check_norm(head_norm, 'head_norm')
        check_conv_algorithm(conv_algorithm)
        depths = tuple(depths)
        for depth in depths:
            check_positive_int(depth, 'each of depths')
        if not depths or list(depths) != sorted(set(depths)):
            raise ValueError('depths must be a non-empty, strictly increasing '
                             f'sequence of positive integers, got {depths!r}')
        self.depths = depths
        self.stages = nn.ModuleList()
        self.heads = nn.ModuleList()
        previous = 0
        for depth in depths:
            self.stages.append(
                nn.Sequential(*downsampling_layers(
                    in_channels, base_channels, previous, depth, norm)))
            self.heads.append(
                nn.Sequential(
                    *prediction_tail(base_channels, depth, head_norm,
                                     conv_algorithm)))
            previous = depth

    @property
    def receptive_fields(self):
        """list[int]: The receptive field (pixels) of each head's map."""
        return [
            receptive_field([*self.stages[:index + 1], head])
            for index, head in enumerate(self.heads)
        ]

    def forward(self, x):
        """Return the logit maps of all heads, shallowest first."""
        outputs = []
        for stage, head in zip(self.stages, self.heads):
            x = stage(x)
            outputs.append(head(x))
        return outputs
