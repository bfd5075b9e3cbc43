"""Pipeline steps: loading, paired augmentation, corruption, packing."""
from .corruption import CORRUPTIONS, DEFAULT_CORRUPTIONS, RandomCorrupt
from .crop import PairedCenterCrop, PairedPadIfNeeded, PairedRandomCrop
from .formatting import PackDeblurInputs, image_to_tensor
from .geometric import GEOMETRIC_OPS, PairedGeometricAugment
from .loading import LoadPairedImages
from .paired_transform import PairedTransform

__all__ = [
    'LoadPairedImages', 'PairedTransform', 'PairedGeometricAugment',
    'PairedPadIfNeeded', 'PairedRandomCrop', 'PairedCenterCrop',
    'RandomCorrupt', 'PackDeblurInputs', 'image_to_tensor', 'GEOMETRIC_OPS',
    'CORRUPTIONS', 'DEFAULT_CORRUPTIONS'
]
