"""FPNGenerator with a full-resolution stage before the head's last layer."""
import torch
import torch.nn as nn

from deblurkit.registry import MODELS
from .fpn_generator import FPNGenerator, padded_input


@MODELS.register_module()
class FullResFPNGenerator(FPNGenerator):
    """DeblurGAN-v2's generator with a full-resolution refinement stage.

    Not the paper's generator: in :class:`FPNHead` every layer but ``final``
    works at half the input's resolution or below, and ``final`` is a 3x3
    convolution on features upsampled x2 by nearest neighbour (constant on
    each 2x2 block), so the residual is one linear filter of half-resolution
    features and cannot follow the image's edges to the pixel. This
    generator adds, before ``final``::

        x_full = relu(refine_stem(input))                 # 3 -> R, 3x3
        f = relu(refine_mix(cat(head.features(...), x_full)))  # C/2+R -> C/2
        residual = head.final(f)

    ``refine_stem`` sees the (padded) input image at full resolution and
    ``refine_mix`` lets the head's features choose what to do with it. The
    output is ``clamp(tanh(residual) + x, -1, 1)`` as in FPNGenerator.

    Measured in ``make demo`` (configs/deblurganv2_mobilenet_demo.py, see
    its comments): more blur removed per training iteration on the
    synthetic test pairs and on photographs, at about 1.35x the time of an
    iteration on the CPU. Released weights have no such stage: load them
    into :class:`FPNGenerator`.

    It has no fused fast path (``optimize_generator`` refuses it and the
    tools run it as built, see :func:`has_fast_path`).

    Args:
        refine_channels (int): R, channels of ``refine_stem`` (default 16).
        refine_kernel (int): Kernel size of ``refine_mix`` (odd; default
            3).
        *args, **kwargs: :class:`FPNGenerator`'s (``backbone``, ``neck``,
            ``head``, ...). The head must have ``features`` and ``final``
            (as :class:`FPNHead`).

    Shapes: ``(N, 3, H, W)`` in [-1, 1] -> ``(N, 3, H, W)`` in [-1, 1].
    """

    def __init__(self, *args, refine_channels=16, refine_kernel=3, **kwargs):
        super().__init__(*args, **kwargs)
        r, k = int(refine_channels), int(refine_kernel)
        if r < 1:
            raise ValueError(f'refine_channels must be a positive int, got '
                             f'{refine_channels!r}')
        if k < 1 or k % 2 == 0:
            raise ValueError(f'refine_kernel must be a positive odd int, got '
                             f'{refine_kernel!r}')
        final = getattr(self.head, 'final', None)
        if not callable(getattr(self.head, 'features', None)) or not \
                isinstance(getattr(final, 'in_channels', None), int):
            raise ValueError(
                f'FullResFPNGenerator needs a head with `features(maps)` and '
                f'a `final` convolution (as FPNHead), got '
                f'{type(self.head).__name__}')
        # The residual is added to the input: as many channels as final's.
        in_channels = final.out_channels
        channels = final.in_channels
        self.refine_stem = nn.Sequential(
            nn.Conv2d(in_channels, r, 3, padding=1), nn.ReLU())
        self.refine_mix = nn.Sequential(
            nn.Conv2d(channels + r, channels, k, padding=k // 2), nn.ReLU())

    def forward(self, x):
        padded = padded_input(self, x, type(self).__name__)
        h, w = x.shape[-2:]
        feats = self.backbone(padded)
        self._check_features(feats, padded.shape[-2:])
        features = self.head.features(self.neck(feats))
        features = self.refine_mix(
            torch.cat([features, self.refine_stem(padded)], dim=1))
        residual = self.head.final(features)[..., :h, :w]
        if not self.global_residual:
            return torch.tanh(residual)
        return torch.clamp(torch.tanh(residual) + x, -1, 1)
