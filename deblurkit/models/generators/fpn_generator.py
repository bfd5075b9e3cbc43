"""The DeblurGAN-v2 generator: backbone -> FPN -> head, global residual."""
import copy

import torch
import torch.nn as nn

from deblurkit.registry import BACKBONES, HEADS, MODELS, NECKS
from ..backbones.base import FEATURE_STRIDES
from ..data_preprocessors.deblur_data_preprocessor import (PAD_MODES,
                                                          pad_to_multiple)
from .norm_stats import GeneratorNormStats


def build_part(registry, cfg, what):
    """Build ``cfg`` from ``registry``, naming ``what`` if its type is unknown.

    Parts registered directly in MODELS are accepted as well.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    cfg = copy.deepcopy(dict(cfg))
    kind = cfg.get('type')
    if isinstance(kind, str):
        name = kind.split('.')[-1]
        if registry.get(name) is None and MODELS.get(name) is None:
            raise KeyError(
                f'{what}: unknown type {kind!r}. Registered {registry.name}s: '
                f'{sorted(registry.module_dict)}. Register your own with '
                f'@{registry.name.upper()}S.register_module() in a file '
                "named in the config's custom_imports.")
        if registry.get(name) is None:
            registry = MODELS
        cfg['type'] = name
    return registry.build(cfg)


def padded_input(generator, x, name='FPNGenerator'):
    """``x`` checked and padded to ``generator.pad_multiple`` (bottom/right,
    ``generator.pad_mode``; None refuses sizes that are not multiples)."""
    if x.dim() != 4:
        raise ValueError(
            f'{name} expects an (N, C, H, W) tensor, got shape '
            f'{tuple(x.shape)}')
    h, w = x.shape[-2:]
    multiple = generator.pad_multiple
    if generator.pad_mode is None and (h % multiple or w % multiple):
        raise ValueError(
            f'input size {h}x{w} is not a multiple of {multiple}; pad it '
            "or build the generator with pad_mode='reflect'")
    return pad_to_multiple(x, multiple, generator.pad_mode)


@MODELS.register_module()
class FPNGenerator(GeneratorNormStats, nn.Module):
    """DeblurGAN-v2 generator.

    Builds the backbone first and hands its ``out_channels`` to the neck, and
    the neck's channels to the head, so a config swaps a backbone by naming
    only the backbone. The output is ``clamp(tanh(head(...)) + x, -1, 1)``.

    Args:
        backbone (dict): Config of a backbone from ``BACKBONES``: five maps at
            strides 2..32 and an ``out_channels`` attribute.
        neck (dict): Config of the neck (``FPN``); ``in_channels`` is set.
        head (dict): Config of the head (``FPNHead``); ``in_channels`` is set.
        norm_stats (str): Statistics of every normalisation layer (backbone
            BatchNorms included) in eval mode: ``'per_image'`` (each image's
            own statistics, as the official predictor; batch-invariant) or
            ``'running'`` (the running buffers). Training is unaffected.
        pad_mode (str | None): How inputs whose H or W is not a multiple of
            32 are padded (bottom/right) before the network and cropped back
            after it: ``'reflect'``, ``'replicate'``, ``'constant'`` (zeros),
            or None to refuse them with an error.
        train_norm_stats (str): Statistics of the norm layers in training:
            ``'batch'`` (PyTorch's behaviour; the official training used
            batch size 1, where it equals per-image statistics) or
            ``'per_image'`` (each image its own statistics at any batch size,
            so training matches ``norm_stats='per_image'`` inference).
        global_residual (bool): Add the input: ``clamp(tanh(head) + x, -1,
            1)`` (every released model); False gives ``tanh(head)``, as the
            official FPN-DenseNet.

    Shapes: ``(N, 3, H, W)`` in [-1, 1] -> ``(N, 3, H, W)`` in [-1, 1].
    """

    # The generator contract (generators/contract.py): total stride 32.
    # Not channels_last: with the fast path switched off this is the
    # reference computation, in the official code's layout.
    pad_multiple = 32

    def __init__(self,
                 backbone,
                 neck=dict(type='FPN'),
                 head=dict(type='FPNHead'),
                 norm_stats='per_image',
                 pad_mode='reflect',
                 train_norm_stats='batch',
                 global_residual=True):
        super().__init__()
        self.global_residual = global_residual
        if pad_mode not in (*PAD_MODES, None):
            raise ValueError(
                f'pad_mode must be one of {(*PAD_MODES, None)}, got '
                f'{pad_mode!r}')
        self.pad_mode = pad_mode
        self.backbone = build_part(BACKBONES, backbone,
                                   'model.generator.backbone')
        channels = getattr(self.backbone, 'out_channels', None)
        if channels is None or len(tuple(channels)) != 5:
            raise ValueError(
                f'backbone {type(self.backbone).__name__} must expose '
                '`out_channels`, a tuple of five ints (the channels of its '
                f'maps at strides {FEATURE_STRIDES}); got {channels!r}')
        neck = dict(neck)
        neck['in_channels'] = tuple(channels)
        self.neck = build_part(NECKS, neck, 'model.generator.neck')
        neck_channels = getattr(self.neck, 'out_channels', None)
        head = dict(head)
        if neck_channels is not None:
            head['in_channels'] = neck_channels[1]
            head_width = head.get('num_filters', 64)
            if neck_channels[0] != head_width:
                raise ValueError(
                    f'the neck gives map0 with {neck_channels[0]} channels '
                    f'but the head adds it to {head_width} channels: set '
                    'model.generator.neck.num_filters to twice '
                    'model.generator.head.num_filters')
        self.head = build_part(HEADS, head, 'model.generator.head')
        self.init_norm_stats(norm_stats, train_norm_stats)

    def freeze_backbone(self):
        """Stop gradients to the backbone (its own ``freeze`` if it has one)."""
        if hasattr(self.backbone, 'freeze'):
            self.backbone.freeze()
        else:
            self.backbone.requires_grad_(False)

    def unfreeze_backbone(self):
        if hasattr(self.backbone, 'unfreeze'):
            self.backbone.unfreeze()
        else:
            self.backbone.requires_grad_(True)

    def _check_features(self, feats, size):
        shapes = [tuple(f.shape[-2:]) for f in feats] if isinstance(
            feats, (list, tuple)) else None
        expected = [(size[0] // s, size[1] // s) for s in FEATURE_STRIDES]
        if shapes != expected:
            raise ValueError(
                f'backbone {type(self.backbone).__name__} returned feature '
                f'maps of sizes {shapes} for a {tuple(size)} input; the FPN '
                f'needs five maps at strides {FEATURE_STRIDES}, i.e. sizes '
                f'{expected}')

    def forward(self, x):
        padded = padded_input(self, x)
        h, w = x.shape[-2:]
        feats = self.backbone(padded)
        self._check_features(feats, padded.shape[-2:])
        residual = self.head(self.neck(feats))
        residual = residual[..., :h, :w]
        if not self.global_residual:
            return torch.tanh(residual)
        return torch.clamp(torch.tanh(residual) + x, -1, 1)
