from .double_scale_discriminator import DoubleScaleDiscriminator
from .multi_scale_discriminator import MultiScaleDiscriminator
from .patch_discriminator import PatchDiscriminator

__all__ = [
    'PatchDiscriminator', 'DoubleScaleDiscriminator', 'MultiScaleDiscriminator'
]
