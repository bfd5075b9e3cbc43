"""Replace conv/norm/activation runs of any module tree by fast layers.

Recognised patterns (anything else keeps its own, deep-copied, layers, so
any backbone stays correct):

- inside an ``nn.Sequential``: ``Conv2d -> norm [-> ReLU/ReLU6]`` (the
  MobileNetV2 blocks, the FPN ``td`` and head ``smooth`` layers) and
  ``DepthwiseSeparableConv2d -> norm [-> act]``;
- timm's ``ConvNormAct`` (``conv`` then a ``BatchNormAct2d``), the layers of
  Inception-ResNet-v2 and many timm models;
- Inception-ResNet-v2's residual blocks (:class:`ScaledResidualBlock`);
- any remaining batch/instance norm becomes a :class:`FastNorm`.
"""
import torch.nn as nn

from ...layers.conv import DepthwiseSeparableConv2d
from .layers import (FastNorm, FusedConv, ScaledResidualBlock, activation_of,
                     is_norm, is_plain_conv, is_simple_activation,
                     norm_act_of, uses_image_stats)


def _timm_conv_norm_act():
    try:
        from timm.layers import ConvNormAct
    except ImportError:  # timm is optional for this rewrite
        return ()
    return (ConvNormAct, )


def fuse_conv_norm_act(conv, norm=None, act=None, norm_stats=None):
    """The fast layers of ``conv [-> norm] [-> act]``, or None.

    Args:
        conv (nn.Module): ``nn.Conv2d`` or ``DepthwiseSeparableConv2d``.
        norm (nn.Module | None): A batch/instance norm after it; a timm
            norm-act layer brings its own activation.
        act (nn.Module | str | None): The activation after the norm.
        norm_stats (str | None): Overrides the norms' own mode.

    Returns:
        nn.Module | None: A :class:`FusedConv` (or two in a Sequential for a
        depthwise-separable conv); None if the pattern cannot be fused.
    """
    if norm is not None and hasattr(norm, 'act'):
        if act is not None:
            return None
        act = norm_act_of(norm)
        if act is NotImplemented:
            return None
    elif isinstance(act, nn.Module):
        act = activation_of(act)
    if isinstance(conv, DepthwiseSeparableConv2d):
        depthwise = fuse_conv_norm_act(conv.depthwise)
        pointwise = fuse_conv_norm_act(conv.pointwise, norm, act, norm_stats)
        if depthwise is None or pointwise is None:
            return None
        return nn.Sequential(depthwise, pointwise)
    if not is_plain_conv(conv):
        return None
    return FusedConv.from_layers(conv, norm, act, norm_stats)


def _fuse_sequence(seq, norm_stats):
    layers = list(seq)
    fused = []
    i = 0
    while i < len(layers):
        layer = layers[i]
        replacement, used = None, 1
        if is_plain_conv(layer) or isinstance(layer,
                                              DepthwiseSeparableConv2d):
            norm = layers[i + 1] if i + 1 < len(layers) and is_norm(
                layers[i + 1]) else None
            used = 2 if norm is not None else 1
            act = None
            if (i + used < len(layers)
                    and is_simple_activation(layers[i + used])
                    and not (norm is not None and hasattr(norm, 'act'))):
                act = layers[i + used]
                used += 1
            replacement = fuse_conv_norm_act(layer, norm, act, norm_stats)
            if replacement is None:
                used = 1
        if replacement is None:
            replacement = _fuse_child(layer, norm_stats)
        fused.append(replacement)
        i += used
    seq._modules.clear()
    for index, layer in enumerate(fused):
        seq.add_module(str(index), layer)
    return seq


def _fuse_child(child, norm_stats):
    if isinstance(child, nn.Sequential):
        return _fuse_sequence(child, norm_stats)
    if isinstance(child, _timm_conv_norm_act()) and is_plain_conv(
            child.conv) and isinstance(getattr(child, 'aa', None),
                                       (type(None), nn.Identity)):
        fused = fuse_conv_norm_act(child.conv, child.bn, None, norm_stats)
        if fused is not None:
            return fused
    if isinstance(child, DepthwiseSeparableConv2d):
        fused = fuse_conv_norm_act(child)
        if fused is not None:
            return fused
    if is_norm(child):
        image_stats = uses_image_stats(child, norm_stats)
        act = norm_act_of(child) if hasattr(child, 'act') else None
        if image_stats is not None and act is not NotImplemented:
            return FastNorm(child, act, image_stats)
        return child
    fuse_module_tree(child, norm_stats)
    residual = ScaledResidualBlock.from_block(child)
    return child if residual is None else residual


def fuse_module_tree(module, norm_stats=None):
    """Fuse the recognised patterns of ``module``'s children, in place.

    Args:
        module (nn.Module): A private copy (it is modified).
        norm_stats (str | None): ``'per_image'`` or ``'running'`` for every
            norm, or None for each norm's own mode.

    Returns:
        nn.Module: ``module``.
    """
    if isinstance(module, nn.Sequential):
        return _fuse_sequence(module, norm_stats)
    for name, child in list(module.named_children()):
        new = _fuse_child(child, norm_stats)
        if new is not child:
            setattr(module, name, new)
    return module
