"""Full-reference and no-reference image metrics."""
from .alignment import Alignment, align_to_reference
from .base_image_metric import (BaseImageMetric, prepare_pair, rgb_to_y,
                                tensor_to_8bit)
from .cw_ssim import CWSSIM, calculate_cw_ssim, pil_grayscale
from .kohler_metric import KohlerMetric, kohler_score
from .lpips import LPIPS, LPIPSNet
from .psnr import PSNR, calculate_psnr
from .sharpness import LaplacianVariance, laplacian_variance
from .ssim import SSIM, SSIM_VARIANTS, calculate_ssim

__all__ = [
    'Alignment', 'BaseImageMetric', 'CWSSIM', 'KohlerMetric', 'LPIPS',
    'LPIPSNet', 'LaplacianVariance', 'PSNR', 'SSIM', 'SSIM_VARIANTS',
    'align_to_reference', 'calculate_cw_ssim', 'calculate_psnr',
    'calculate_ssim', 'kohler_score', 'laplacian_variance', 'pil_grayscale',
    'prepare_pair', 'rgb_to_y', 'tensor_to_8bit'
]
