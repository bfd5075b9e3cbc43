from .base import FEATURE_STRIDES, BaseBackbone
from .inception_resnet_v2 import InceptionResNetV2
from .mobilenet_v2 import MobileNetV2
from .timm_backbone import TimmBackbone

__all__ = [
    'FEATURE_STRIDES', 'BaseBackbone', 'InceptionResNetV2', 'MobileNetV2',
    'TimmBackbone'
]
