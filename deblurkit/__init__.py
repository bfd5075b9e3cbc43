"""deblurkit: a modular toolbox for motion deblurring (DeblurGAN-v2)."""
from .version import __version__

__all__ = ['__version__']
