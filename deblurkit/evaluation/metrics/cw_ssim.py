"""Complex-wavelet SSIM as the official DeblurGAN-v2 ``test_metrics.py``
reported it (as "SSIM"): pyssim's ``SSIM(pred).cw_ssim_value(gt)``."""
import numpy as np

from deblurkit.registry import METRICS
from .base_image_metric import BaseImageMetric, check_same_size

#: pyssim's defaults: Ricker widths 1..30 and the stabilising constant K.
CW_SSIM_WIDTH = 30
CW_SSIM_K = 0.01


def pil_grayscale(img):
    """8-bit gray levels the way Pillow's ``convert('L')`` (and so pyssim's
    ``ImageOps.grayscale``) computes them from 8-bit RGB:
    ``(19595 R + 38470 G + 7471 B + 2^15) >> 16``, i.e. ITU-R 601-2 luma
    (0.299, 0.587, 0.114) in 16-bit fixed point, rounded.

    Args:
        img (np.ndarray): ``H x W x 3`` RGB with integer values in 0-255
            (uint8, or float holding 8-bit levels), or ``H x W`` gray.

    Returns:
        np.ndarray: ``H x W`` int64 gray levels.
    """
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        return np.rint(img).astype(np.int64)
    rgb = np.rint(img[..., :3]).astype(np.int64)
    return (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 +
            0x8000) >> 16


def ricker(points, width):
    """The Ricker ("Mexican hat") wavelet sampled as SciPy's
    ``signal.ricker(points, a)`` defined it:
    ``2 / (sqrt(3a) pi^(1/4)) (1 - t^2/a^2) exp(-t^2 / (2a^2))`` on
    ``t = 0..points-1`` centred at ``(points - 1) / 2``."""
    t = np.arange(points) - (points - 1.0) / 2
    amplitude = 2 / (np.sqrt(3 * width) * np.pi**0.25)
    return amplitude * (1 - t**2 / width**2) * np.exp(-t**2 / (2 * width**2))


def _next_fast_len(n):
    """The smallest 2^a 3^b 5^c >= n, a size NumPy's FFT handles fast."""
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            size = p35
            while size < n:
                size *= 2
            best = min(best, size)
            p35 *= 3
        p5 *= 5
    return best


def calculate_cw_ssim(img1, img2, width=CW_SSIM_WIDTH, k=CW_SSIM_K):
    """CW-SSIM of two 8-bit images, pyssim's ``cw_ssim_value``.

    Both images become Pillow gray levels (:func:`pil_grayscale`) and are
    flattened row by row into one 1-D signal each. Each signal is convolved
    (``'same'`` size) with the Ricker wavelet of every width
    ``s = 1..width``, sampled on ``min(10 s, len)`` points, giving wavelet
    coefficients ``c1[s, i]`` and ``c2[s, i]``. Per position ``i``::

        cw[i] = (2 sum_s |c1 c2| + K) / (sum_s c1^2 + sum_s c2^2 + K)
              * (2 |sum_s c1 c2| + K) / (2 sum_s |c1 c2| + K)

    and the result is the mean of ``cw``. (The wavelet is real, so the
    complex conjugate of pyssim's formula has no effect.) This is the
    definition of pyssim 0.4-0.6 (``scipy.signal.cwt`` with
    ``scipy.signal.ricker``), the versions of 2017-2022 that DeblurGAN-v2's
    published "SSIM" came from; pyssim 0.7 switched to PyWavelets' ``mexh``
    and gives other numbers.

    The coefficients are computed with FFTs (exact linear convolution, the
    same as SciPy's up to rounding) and accumulated width by width, so the
    memory is a few copies of the image, not 30.

    Args:
        img1, img2 (np.ndarray): ``H x W x 3`` RGB (or ``H x W`` gray), 8-bit
            levels, the same size (pyssim would resize the second; we
            refuse instead).
        width (int): Largest wavelet width. Defaults to 30.
        k (float): Stabilising constant. Defaults to 0.01.

    Returns:
        float: CW-SSIM, 1.0 for identical images.
    """
    check_same_size(np.asarray(img1), np.asarray(img2), 'calculate_cw_ssim')
    sig1 = pil_grayscale(img1).ravel().astype(np.float64)
    sig2 = pil_grayscale(img2).ravel().astype(np.float64)
    n = sig1.size
    longest = min(10 * width, n)
    size = _next_fast_len(n + longest - 1)
    spec1, spec2 = np.fft.rfft(sig1, size), np.fft.rfft(sig2, size)
    abs_prod = np.zeros(n)
    prod = np.zeros(n)
    energy = np.zeros(n)
    for s in range(1, width + 1):
        points = min(10 * s, n)
        kernel = np.fft.rfft(ricker(points, s), size)
        start = (points - 1) // 2  # the 'same' part of the full convolution
        c1 = np.fft.irfft(spec1 * kernel, size)[start:start + n]
        c2 = np.fft.irfft(spec2 * kernel, size)[start:start + n]
        p = c1 * c2
        prod += p
        abs_prod += np.abs(p)
        energy += c1 * c1 + c2 * c2
    magnitude = (2 * abs_prod + k) / (energy + k)
    phase = (2 * np.abs(prod) + k) / (2 * abs_prod + k)
    return float(np.mean(magnitude * phase))


@METRICS.register_module()
class CWSSIM(BaseImageMetric):
    """CW-SSIM averaged over images: the "SSIM" of the DeblurGAN-v2 paper's
    GoPro/Kohler/DVD tables (its ``test_metrics.py`` used pyssim).

    Predictions and targets are rounded to 8-bit levels, converted to gray
    as Pillow does and scored with :func:`calculate_cw_ssim` (widths 1-30,
    K = 0.01). Returns ``{'CW-SSIM': mean}``. ``convert_to`` is not
    accepted: the metric always works on Pillow's gray levels.

    Args:
        width (int): Largest Ricker width. Defaults to 30 (pyssim).
        k (float): Stabilising constant. Defaults to 0.01 (pyssim).
        crop_border, collect_device, prefix: See :class:`BaseImageMetric`.
    """

    METRIC = 'CW-SSIM'

    def __init__(self, width=CW_SSIM_WIDTH, k=CW_SSIM_K, crop_border=0,
                 collect_device='cpu', prefix=None):
        super().__init__(
            crop_border=crop_border,
            collect_device=collect_device,
            prefix=prefix)
        if not isinstance(width, int) or width < 1:
            raise ValueError(f'CWSSIM: width must be an int >= 1, got '
                             f'{width!r}.')
        self.width = width
        self.k = float(k)

    def score(self, img1, img2, mask=None):
        if self.crop_border:
            b = self.crop_border
            img1, img2 = img1[b:-b, b:-b], img2[b:-b, b:-b]
        return calculate_cw_ssim(img1, img2, self.width, self.k)
