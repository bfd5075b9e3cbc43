"""The patch + full discriminator pair of DeblurGAN-v2 (``double_gan``)."""
import torch.nn as nn

from deblurkit.registry import DISCRIMINATORS
from .patch_discriminator import PatchDiscriminator


@DISCRIMINATORS.register_module()
class DoubleScaleDiscriminator(nn.Module):
    """A local patch discriminator and a "full" one that sees most of a crop.

    This is the official ``double_gan``, with which the released weights
    were trained: a :class:`PatchDiscriminator` with 3 layers (70x70
    receptive field) and one with 5 layers (286x286, more than a 256x256
    training crop). The two do not share weights; the adversarial losses
    average their losses, as the official ``DoubleAdversarialTrainer``.

    Parameter names: ``patch.model.*`` and ``full.model.*`` (see
    :class:`PatchDiscriminator`).

    Args:
        patch (dict): Keyword arguments of the patch discriminator's
            :class:`PatchDiscriminator`, over the shared ones below.
            Default: ``dict(n_layers=3)``.
        full (dict): The same for the full discriminator.
            Default: ``dict(n_layers=5)``.
        in_channels (int): Shared: channels of the images. Default: 3.
        base_channels (int): Shared: channels of the first convolution.
            Default: 64.
        norm (str): Shared: ``'instance'``, ``'batch'`` or ``'none'``.
            Default: ``'instance'``.
        conv_algorithm (str): Shared: ``'auto'`` or ``'direct'`` (see
            :class:`PatchDiscriminator`). Default: ``'auto'``.

    Shapes:
        - Input: ``(N, in_channels, H, W)`` images in [-1, 1].
        - Output: ``[patch_logits, full_logits]``, each ``(N, 1, H', W')``
          (for 256x256: 35x35 and 11x11; for 64x64: 11x11 and 5x5).
    """

    # Each image's maps depend on that image alone (no batch norm is
    # built unless norm='batch', which the adversarial losses check): they
    # may run the real and fake batches in one call.
    per_sample = True

    def __init__(self,
                 patch=dict(n_layers=3),
                 full=dict(n_layers=5),
                 in_channels=3,
                 base_channels=64,
                 norm='instance',
                 conv_algorithm='auto'):
        super().__init__()
        shared = dict(
            in_channels=in_channels,
            base_channels=base_channels,
            norm=norm,
            conv_algorithm=conv_algorithm)
        for name, overrides in (('patch', patch), ('full', full)):
            if not isinstance(overrides, dict):
                raise TypeError(
                    f'{name} must be a dict of PatchDiscriminator arguments, '
                    f'got {overrides!r}')
        self.patch = PatchDiscriminator(**{**shared, **patch})
        self.full = PatchDiscriminator(**{**shared, **full})

    @property
    def receptive_fields(self):
        """list[int]: ``[patch_field, full_field]`` in pixels."""
        return self.patch.receptive_fields + self.full.receptive_fields

    def forward(self, x):
        """Return ``[patch_logits, full_logits]`` for images ``x``."""
        return self.patch(x) + self.full(x)
