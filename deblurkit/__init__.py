"""deblurkit: a modular toolbox for motion deblurring (DeblurGAN-v2)."""
from .version import __version__

# Safe checkpoint loading and atomic checkpoint saving for mmengine.
from . import engine  # noqa: E402,F401  isort:skip

__all__ = ['__version__']
