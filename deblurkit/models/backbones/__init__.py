from .base import FEATURE_STRIDES, BaseBackbone
from .densenet import DenseNet
from .inception_resnet_v2 import InceptionResNetV2
from .mobilenet_v2 import MobileNetV2
from .timm_backbone import TimmBackbone

__all__ = [
    'FEATURE_STRIDES', 'BaseBackbone', 'DenseNet', 'InceptionResNetV2', 'MobileNetV2',
    'TimmBackbone'
]
