"""Full-reference image metrics."""
from .base_image_metric import (BaseImageMetric, prepare_pair, rgb_to_y,
                                tensor_to_8bit)
from .psnr import PSNR, calculate_psnr
from .ssim import SSIM, calculate_ssim

__all__ = [
    'BaseImageMetric', 'PSNR', 'SSIM', 'calculate_psnr', 'calculate_ssim',
    'prepare_pair', 'rgb_to_y', 'tensor_to_8bit'
]
