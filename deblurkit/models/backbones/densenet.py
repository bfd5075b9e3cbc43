"""DenseNet-121 with the taps of the official FPN-DenseNet."""
import torch.nn as nn

from deblurkit.registry import BACKBONES
from .timm_backbone import TimmBackbone


@BACKBONES.register_module()
class DenseNet(TimmBackbone):
    """timm's DenseNet, tapped as the official ``fpn_dense`` generator.

    The maps are ``relu(norm0(conv0(x)))`` (stride 2), dense blocks 1, 2
    and 3 (strides 4, 8, 16; block 1 before its transition) and
    ``norm5(denseblock4)`` (stride 32) *without* the ReLU that timm fuses
    into ``norm5``: the official code taps torchvision's ``features.norm5``,
    a plain BatchNorm. Channels for DenseNet-121: 64, 256, 512, 1024, 1024.
    The weights are timm's (torchvision's ImageNet weights, renamed).

    Args:
        model_name (str): A timm DenseNet (``'densenet121'``).
        pretrained (bool | str): As :class:`TimmBackbone`.
        **kwargs: Passed to ``timm.create_model`` (e.g. ``growth_rate``,
            ``block_config`` for a small test network).

    Shapes: ``(N, 3, H, W)`` -> five maps at strides (2, 4, 8, 16, 32).
    """

    def __init__(self, model_name='densenet121', pretrained=False, **kwargs):
        super().__init__(model_name, pretrained=pretrained, **kwargs)
        norm5 = getattr(self.model, 'features_norm5', None)
        if norm5 is None or not hasattr(norm5, 'act'):
            raise ValueError(
                f'DenseNet: {model_name!r} is not a timm DenseNet (no '
                'features.norm5 with an activation)')
        norm5.act = nn.Identity()
