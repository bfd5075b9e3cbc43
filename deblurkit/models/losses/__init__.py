from .base_adversarial_loss import BaseAdversarialLoss
from .base_content_loss import BaseContentLoss
from .composite_loss import CompositeLoss
from .fft_loss import FFTLoss
from .gan_loss import LSGANLoss, VanillaGANLoss
from .perceptual_loss import PerceptualLoss
from .pixel_loss import CharbonnierLoss, L1Loss, MSELoss, PSNRLoss
from .relativistic_gan_loss import RaGANLoss, RaGANLSLoss
from .wgan_gp_loss import WGANGPLoss

__all__ = [
    'BaseAdversarialLoss', 'BaseContentLoss', 'CompositeLoss', 'FFTLoss',
    'LSGANLoss', 'VanillaGANLoss', 'PerceptualLoss', 'CharbonnierLoss',
    'L1Loss', 'MSELoss', 'PSNRLoss', 'RaGANLoss', 'RaGANLSLoss', 'WGANGPLoss'
]
