"""Evaluation: metrics registered in ``deblurkit.registry.METRICS``."""
from .metrics import (PSNR, SSIM, BaseImageMetric, calculate_psnr,
                      calculate_ssim)

__all__ = ['PSNR', 'SSIM', 'BaseImageMetric', 'calculate_psnr', 'calculate_ssim']
