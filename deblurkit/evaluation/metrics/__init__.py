"""Full-reference and no-reference image metrics."""
from .alignment import Alignment, align_to_reference
from .base_image_metric import (BaseImageMetric, prepare_pair, rgb_to_y,
                                tensor_to_8bit)
from .cw_ssim import CWSSIM, calculate_cw_ssim, pil_grayscale
from .lpips import LPIPS, LPIPSNet
from .psnr import PSNR, calculate_psnr
from .ssim import SSIM, SSIM_VARIANTS, calculate_ssim

__all__ = [
    'Alignment', 'BaseImageMetric', 'CWSSIM', 'LPIPS', 'LPIPSNet', 'PSNR',
    'SSIM', 'SSIM_VARIANTS', 'align_to_reference', 'calculate_cw_ssim',
    'calculate_psnr', 'calculate_ssim', 'pil_grayscale', 'prepare_pair',
    'rgb_to_y', 'tensor_to_8bit'
]
