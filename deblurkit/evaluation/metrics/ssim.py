"""Structural similarity as computed by MMagic and BasicSR."""
import cv2
import numpy as np

from deblurkit.registry import METRICS
from .base_image_metric import BaseImageMetric, prepare_pair

_C1 = (0.01 * 255)**2
_C2 = (0.03 * 255)**2
_WINDOW_SIZE = 11
_SIGMA = 1.5


def _gaussian_window():
    kernel = cv2.getGaussianKernel(_WINDOW_SIZE, _SIGMA)
    return kernel @ kernel.T


def _ssim_channel(img1, img2, window):
    """Mean SSIM map of two ``H x W`` float64 images, valid positions only
    (the 5-pixel border of the filtered maps is dropped)."""
    b = _WINDOW_SIZE // 2

    def local_mean(x):
        return cv2.filter2D(x, -1, window)[b:-b, b:-b]

    mu1, mu2 = local_mean(img1), local_mean(img2)
    var1 = local_mean(img1 * img1) - mu1**2
    var2 = local_mean(img2 * img2) - mu2**2
    cov = local_mean(img1 * img2) - mu1 * mu2
    ssim_map = ((2 * mu1 * mu2 + _C1) *
                (2 * cov + _C2)) / ((mu1**2 + mu2**2 + _C1) *
                                    (var1 + var2 + _C2))
    return ssim_map.mean()


def calculate_ssim(img1, img2, crop_border=0, convert_to=None):
    """SSIM of two images with values in 0-255 (MMagic/BasicSR recipe).

    Per channel: 11x11 Gaussian window (sigma 1.5), C1 = (0.01*255)^2,
    C2 = (0.03*255)^2, the map averaged over the positions where the window
    fits inside the image; then the mean over channels.

    Args:
        img1, img2 (np.ndarray): ``H x W x C`` (or ``H x W``) RGB images,
            uint8 or float, values in 0-255; at least 11x11 after cropping.
        crop_border (int): Pixels removed from each side. Defaults to 0.
        convert_to (str | None): ``'Y'`` for the BT.601 luma only.
            Defaults to None (every channel).

    Returns:
        float: SSIM, 1.0 for identical images.
    """
    img1, img2 = prepare_pair(img1, img2, crop_border, convert_to,
                              'calculate_ssim')
    h, w = img1.shape[:2]
    if min(h, w) < _WINDOW_SIZE:
        raise ValueError(f'calculate_ssim: images must be at least '
                         f'{_WINDOW_SIZE}x{_WINDOW_SIZE} after cropping, got '
                         f'{h}x{w}.')
    window = _gaussian_window()
    return float(
        np.mean([
            _ssim_channel(img1[..., c], img2[..., c], window)
            for c in range(img1.shape[2])
        ]))


@METRICS.register_module()
class SSIM(BaseImageMetric):
    """SSIM averaged over images, on 8-bit levels.

    Predictions and targets are rounded to 8-bit levels first
    (``round(clamp(x, 0, 1) * 255)``) and scored with
    :func:`calculate_ssim`. Returns ``{'SSIM': mean}``; per-image values are
    in :attr:`per_image_results` after evaluation.

    Takes the arguments of :class:`BaseImageMetric`: ``crop_border``,
    ``convert_to`` (``'Y'`` for luma), ``collect_device``, ``prefix``.
    """

    METRIC = 'SSIM'

    def score(self, img1, img2):
        return calculate_ssim(img1, img2, self.crop_border, self.convert_to)
