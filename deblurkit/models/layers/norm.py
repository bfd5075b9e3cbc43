"""Normalisation layers whose inference statistics can be chosen.

The official predictor runs the generator in train mode, so every BatchNorm
of the backbone and every InstanceNorm of the FPN/head normalises with the
statistics of the image itself. ``'per_image'`` mode
reproduces that at inference for any batch size, without the side effect of
updating the running buffers, and makes the output of one image independent
of the other images in its batch. ``'running'`` mode uses the running buffers
(ordinary eval mode). Training is untouched: the layers behave as their
PyTorch base classes.

:func:`convert_norm_layers` gives this ability to every BatchNorm2d and
InstanceNorm2d of a module in place (subclasses such as timm's
``BatchNormAct2d`` included), keeping parameter and buffer names, so
checkpoints load unchanged.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from .temporal_norm import active_provider

NORM_STATS_MODES = ('per_image', 'running')
NORM_TYPES = ('instance', 'batch', 'none')


class NormStatsMixin:
    """Adds ``norm_stats`` (``'per_image'`` or ``'running'``) to a norm layer.

    ``norm_stats`` acts in eval mode only. ``train_norm_stats`` chooses the
    statistics of training: ``'batch'`` (the layer's own behaviour) or
    ``'per_image'``, which normalises each image with its own statistics in
    training as well (what the official batch-1 training does, for any
    batch size) and updates the running buffers with their batch mean.
    Only the plain torch classes support ``'per_image'`` training.
    """

    norm_stats = 'per_image'
    train_norm_stats = 'batch'
    # True for the plain torch classes, whose per-image forward is exactly
    # ``F.instance_norm`` with the layer's affine parameters.
    _plain = False

    def forward(self, x):
        if self.training:
            if self.train_norm_stats == 'per_image' and self._plain:
                return F.instance_norm(
                    x,
                    running_mean=self.running_mean,
                    running_var=self.running_var,
                    weight=self.weight,
                    bias=self.bias,
                    use_input_stats=True,
                    momentum=0.1 if self.momentum is None else self.momentum,
                    eps=self.eps)
            return super().forward(x)
        if self.norm_stats == 'running':
            return super().forward(x)
        provider = active_provider()
        if provider is not None:
            return self._forward_smoothed(x, provider)
        if self._plain:
            return F.instance_norm(
                x,
                weight=self.weight,
                bias=self.bias,
                use_input_stats=True,
                eps=self.eps)
        return self._forward_per_image_generic(x)

    def _forward_smoothed(self, x, provider):
        # Statistics of each image, averaged over the frames so far by the
        # temporal provider (deblurkit.models.layers.temporal_norm).
        var, mean = torch.var_mean(x.float(), dim=(2, 3), correction=0)
        mean, var = provider.smooth(self, mean, var)
        if not self._plain:
            return self._forward_per_image_generic(x, (mean, var))
        scale = torch.rsqrt(var + self.eps)
        if self.weight is not None:
            scale = scale * self.weight.float()
        shift = -mean * scale
        if self.bias is not None:
            shift = shift + self.bias.float()
        return torch.addcmul(shift[:, :, None, None].to(x.dtype), x,
                             scale[:, :, None, None].to(x.dtype))

    def _forward_per_image_generic(self, x, stats=None):
        # A subclass (e.g. a norm fused with an activation) may do more than
        # normalise, so run its own eval forward once per image with the
        # running buffers temporarily set to that image's statistics.
        saved_mean, saved_var = self.running_mean, self.running_var
        outputs = []
        try:
            for i, image in enumerate(x.split(1)):
                if stats is None:
                    var, mean = torch.var_mean(
                        image, dim=(0, 2, 3), correction=0)
                else:
                    mean, var = stats[0][i].to(x.dtype), stats[1][i].to(
                        x.dtype)
                self.running_mean, self.running_var = mean, var
                outputs.append(super().forward(image))
        finally:
            self.running_mean, self.running_var = saved_mean, saved_var
        return torch.cat(outputs)


class AdaptiveBatchNorm2d(NormStatsMixin, nn.BatchNorm2d):
    """``nn.BatchNorm2d`` with selectable inference statistics."""
    _plain = True


class AdaptiveInstanceNorm2d(NormStatsMixin, nn.InstanceNorm2d):
    """``nn.InstanceNorm2d`` with selectable inference statistics."""
    _plain = True


_PLAIN = {
    nn.BatchNorm2d: AdaptiveBatchNorm2d,
    nn.InstanceNorm2d: AdaptiveInstanceNorm2d,
}
_GENERIC_CACHE = {}


def _adaptive_class(cls):
    if issubclass(cls, NormStatsMixin):
        return cls
    if cls in _PLAIN:
        return _PLAIN[cls]
    if cls not in _GENERIC_CACHE:
        _GENERIC_CACHE[cls] = type(f'Adaptive{cls.__name__}',
                                   (NormStatsMixin, cls), {})
    return _GENERIC_CACHE[cls]


def convert_norm_layers(module):
    """Give every 2d batch/instance norm in ``module`` a ``norm_stats`` switch.

    Works in place by changing the class of each layer to a subclass that
    adds no state, so names, parameters and buffers stay as they are.

    Returns:
        nn.Module: ``module`` itself.
    """
    for layer in module.modules():
        if isinstance(layer, (_BatchNorm, _InstanceNorm)) and not isinstance(
                layer, NormStatsMixin):
            if isinstance(layer, nn.SyncBatchNorm):
                continue  # distributed training only; converted back later
            layer.__class__ = _adaptive_class(type(layer))
    return module


def set_norm_stats(module, mode, attr='norm_stats'):
    """Set the inference (or, with ``attr='train_norm_stats'``, training)
    statistics of every converted norm in ``module``."""
    if mode not in NORM_STATS_MODES and not (attr == 'train_norm_stats'
                                             and mode == 'batch'):
        raise ValueError(f'{attr} must be one of {NORM_STATS_MODES}, got '
                         f'{mode!r}')
    for layer in module.modules():
        if isinstance(layer, NormStatsMixin):
            setattr(layer, attr, mode)


def build_norm_layer(norm, channels):
    """The norm layer of the FPN and head.

    Args:
        norm (str): ``'instance'`` (as released:
            ``InstanceNorm2d(affine=False, track_running_stats=True)``, so the
            layer has running buffers but no weights), ``'batch'`` or
            ``'none'``.
        channels (int): Number of channels.
    """
    if norm == 'instance':
        return AdaptiveInstanceNorm2d(
            channels, affine=False, track_running_stats=True)
    if norm == 'batch':
        return AdaptiveBatchNorm2d(channels)
    if norm == 'none':
        return nn.Identity()
    raise ValueError(f'norm must be one of {NORM_TYPES}, got {norm!r}')
