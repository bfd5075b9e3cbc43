"""Any timm model with ``features_only`` as a deblurkit backbone."""
import torch.nn as nn

from deblurkit.registry import BACKBONES
from .base import FEATURE_STRIDES, BaseBackbone
from .pretrained import timm_pretrained_overlay


@BACKBONES.register_module()
class TimmBackbone(BaseBackbone):
    """Wrap ``timm.create_model(model_name, features_only=True)``.

    For each stride in 2, 4, 8, 16, 32 the deepest feature map of the model
    at that stride is used. Models whose first feature map is at stride 4
    (ConvNeXt, Swin-like stems) get a small learned stem on the input,
    ``conv3x3(3 -> stem_channels, stride 2) -> BatchNorm -> ReLU``, as the
    stride-2 map the FPN needs.

    Args:
        model_name (str): A timm model name, e.g. ``'resnet18'``,
            ``'efficientnet_b0'``, ``'convnext_atto'``.
        pretrained (bool | str): False, True (timm's ImageNet weights) or
            the path of a local weights file for that model.
        stem_channels (int): Channels of the extra stride-2 stem, if needed.
        **kwargs: Passed to ``timm.create_model``.

    Shapes: ``(N, 3, H, W)`` -> five maps at strides (2, 4, 8, 16, 32).
    """

    def __init__(self, model_name, pretrained=False, stem_channels=32,
                 **kwargs):
        super().__init__()
        import timm
        if model_name not in timm.list_models():
            raise KeyError(
                f'TimmBackbone: unknown timm model {model_name!r}; see '
                '`timm.list_models()` for the names.')
        if pretrained is True:
            kwargs['pretrained_cfg_overlay'] = timm_pretrained_overlay(
                model_name, f'TimmBackbone({model_name!r})',
                'model.generator.backbone.pretrained')
        elif isinstance(pretrained, str):
            kwargs['pretrained_cfg_overlay'] = dict(file=pretrained)
        try:
            self.model = timm.create_model(
                model_name,
                pretrained=bool(pretrained),
                features_only=True,
                **kwargs)
        except RuntimeError as err:
            if 'features_only' in str(err):
                raise ValueError(
                    f'TimmBackbone: timm model {model_name!r} does not '
                    'support features_only=True') from err
            raise
        reductions = self.model.feature_info.reduction()
        channels = self.model.feature_info.channels()
        # The deepest map at each stride.
        by_stride = {r: i for i, r in enumerate(reductions)}
        missing = [s for s in FEATURE_STRIDES[1:] if s not in by_stride]
        if missing:
            raise ValueError(
                f'TimmBackbone: {model_name!r} gives feature maps at strides '
                f'{reductions}, but the FPN needs maps at strides '
                f'{FEATURE_STRIDES} (stride 2 may be missing); '
                f'{missing} are missing.')
        self.indices = [by_stride[s] for s in FEATURE_STRIDES[1:]]
        if 2 in by_stride:
            self.stem = None
            self.indices.insert(0, by_stride[2])
            stem_out = ()
        else:
            self.stem = nn.Sequential(
                nn.Conv2d(3, stem_channels, 3, 2, 1, bias=False),
                nn.BatchNorm2d(stem_channels), nn.ReLU(inplace=True))
            stem_out = (stem_channels, )
        self.out_channels = stem_out + tuple(channels[i]
                                             for i in self.indices)

    def forward(self, x):
        feats = self.model(x)
        outs = [feats[i] for i in self.indices]
        if self.stem is not None:
            outs.insert(0, self.stem(x))
        return tuple(outs)

    def freeze(self):
        # The extra stem is new (never pretrained), so it keeps training.
        self.model.requires_grad_(False)
        return self

    @property
    def frozen(self):
        return not any(p.requires_grad for p in self.model.parameters())
