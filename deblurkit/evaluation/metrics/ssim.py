"""Structural similarity: MMagic/BasicSR's, and scikit-image's settings
that published deblurring tables used."""
import cv2
import numpy as np

from deblurkit.registry import METRICS
from .base_image_metric import BaseImageMetric, prepare_mask, prepare_pair

_C1 = (0.01 * 255)**2
_C2 = (0.03 * 255)**2
_WINDOW_SIZE = 11
_SIGMA = 1.5

#: The SSIM recipes, by name. ``window``: Gaussian (sigma 1.5, 11 taps) or
#: uniform; ``size``: window side; ``sample_cov``: whether the local
#: (co)variances use the unbiased ``N / (N - 1)`` factor (scikit-image's
#: ``use_sample_covariance``, True by default).
SSIM_VARIANTS = {
    # MMagic / BasicSR; numerically the same as scikit-image's
    # structural_similarity(gaussian_weights=True, sigma=1.5,
    # use_sample_covariance=False, data_range=255), the setting Wang et al.
    # recommend and RealBlur's evaluation uses.
    'mmagic': dict(window='gaussian', size=_WINDOW_SIZE, sample_cov=False),
    # structural_similarity(gaussian_weights=True, data_range=255) with its
    # other defaults (use_sample_covariance=True).
    'skimage_gaussian': dict(
        window='gaussian', size=_WINDOW_SIZE, sample_cov=True),
    # structural_similarity(data_range=255) with every default: a 7x7
    # uniform window and the sample covariance.
    'skimage_default': dict(window='uniform', size=7, sample_cov=True),
}


def _window(window, size):
    if window == 'gaussian':
        kernel = cv2.getGaussianKernel(size, _SIGMA)
        return kernel @ kernel.T
    return np.full((size, size), 1. / size**2)


def ssim_map(img1, img2, variant='mmagic'):
    """The SSIM map of two ``H x W`` float64 images (0-255), of the same
    size; positions within ``size // 2`` of the border are filtered with
    reflected borders (callers drop them, as every recipe here does)."""
    spec = SSIM_VARIANTS[variant]
    window = _window(spec['window'], spec['size'])
    n = spec['size']**2
    cov_norm = n / (n - 1) if spec['sample_cov'] else 1.

    def local_mean(x):
        return cv2.filter2D(x, -1, window, borderType=cv2.BORDER_REFLECT)

    mu1, mu2 = local_mean(img1), local_mean(img2)
    var1 = cov_norm * (local_mean(img1 * img1) - mu1**2)
    var2 = cov_norm * (local_mean(img2 * img2) - mu2**2)
    cov = cov_norm * (local_mean(img1 * img2) - mu1 * mu2)
    return ((2 * mu1 * mu2 + _C1) * (2 * cov + _C2)) / (
        (mu1**2 + mu2**2 + _C1) * (var1 + var2 + _C2))


def calculate_ssim(img1,
                   img2,
                   crop_border=0,
                   convert_to=None,
                   variant='mmagic',
                   mask=None):
    """SSIM of two images with values in 0-255.

    Per channel: local means, variances and covariance under a window,
    C1 = (0.01*255)^2, C2 = (0.03*255)^2,
    ``SSIM = (2 mu1 mu2 + C1)(2 cov + C2) / ((mu1^2 + mu2^2 + C1)(var1 +
    var2 + C2))``, averaged over the positions where the window fits inside
    the image (``size // 2`` pixels of border dropped); then the mean over
    channels. ``variant`` picks the window and covariance (see
    :data:`SSIM_VARIANTS`):

    - ``'mmagic'``: 11x11 Gaussian, sigma 1.5, population covariance
      (MMagic, BasicSR; equal to scikit-image with ``gaussian_weights=True,
      use_sample_covariance=False``);
    - ``'skimage_gaussian'``: scikit-image's ``gaussian_weights=True`` with
      its default sample covariance (factor 121/120);
    - ``'skimage_default'``: scikit-image's defaults: 7x7 uniform window,
      sample covariance (factor 49/48).

    Args:
        img1, img2 (np.ndarray): ``H x W x C`` (or ``H x W``) RGB images,
            uint8 or float, values in 0-255; at least one window in size
            after cropping.
        crop_border (int): Pixels removed from each side. Defaults to 0.
        convert_to (str | None): ``'Y'`` for the BT.601 luma only.
            Defaults to None (every channel).
        variant (str): One of :data:`SSIM_VARIANTS`. Defaults to
            ``'mmagic'``.
        mask (np.ndarray | None): ``H x W x C`` overlap mask of an aligned
            pair: the map (border dropped) is averaged with these weights,
            channel by channel, as RealBlur's evaluation does. Defaults to
            None.

    Returns:
        float: SSIM, 1.0 for identical images.
    """
    if variant not in SSIM_VARIANTS:
        raise ValueError(f'calculate_ssim: variant must be one of '
                         f'{sorted(SSIM_VARIANTS)}, got {variant!r}.')
    img1, img2 = prepare_pair(img1, img2, crop_border, convert_to,
                              'calculate_ssim')
    size = SSIM_VARIANTS[variant]['size']
    h, w = img1.shape[:2]
    if min(h, w) < size:
        raise ValueError(f'calculate_ssim: images must be at least '
                         f'{size}x{size} after cropping, got {h}x{w}.')
    mask = prepare_mask(mask, crop_border, convert_to)
    b = size // 2
    values = []
    for c in range(img1.shape[2]):
        valid = ssim_map(img1[..., c], img2[..., c], variant)[b:-b, b:-b]
        if mask is None:
            values.append(valid.mean())
        else:
            weights = mask[b:-b, b:-b, min(c, mask.shape[2] - 1)]
            values.append(np.sum(valid * weights) / np.sum(weights))
    return float(np.mean(values))


@METRICS.register_module()
class SSIM(BaseImageMetric):
    """SSIM averaged over images, on 8-bit levels.

    Predictions and targets are rounded to 8-bit levels first
    (``round(clamp(x, 0, 1) * 255)``) and scored with
    :func:`calculate_ssim`. Returns ``{'SSIM': mean}``; per-image values are
    in :attr:`per_image_results` after evaluation.

    Args:
        variant (str): The recipe, one of :data:`SSIM_VARIANTS`
            (``'mmagic'``, ``'skimage_gaussian'``, ``'skimage_default'``).
            Defaults to ``'mmagic'``.
        crop_border, convert_to, align, collect_device, prefix: See
            :class:`BaseImageMetric` (``align='realblur'``: the RealBlur
            protocol, registered and averaged over the overlap).
    """

    METRIC = 'SSIM'

    def __init__(self, variant='mmagic', **kwargs):
        super().__init__(**kwargs)
        if variant not in SSIM_VARIANTS:
            raise ValueError(f'SSIM: variant must be one of '
                             f'{sorted(SSIM_VARIANTS)}, got {variant!r}.')
        self.variant = variant

    def score(self, img1, img2, mask=None):
        return calculate_ssim(img1, img2, self.crop_border, self.convert_to,
                              self.variant, mask)

    def extra_repr(self):
        return '' if self.variant == 'mmagic' else f', variant={self.variant!r}'
