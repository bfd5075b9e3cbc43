"""Peak signal-to-noise ratio on 8-bit values."""
import numpy as np

from deblurkit.registry import METRICS
from .base_image_metric import BaseImageMetric, prepare_mask, prepare_pair


def calculate_psnr(img1, img2, crop_border=0, convert_to=None, mask=None):
    """PSNR of two images with values in 0-255: ``10 log10(255^2 / MSE)``.

    Args:
        img1, img2 (np.ndarray): ``H x W x C`` (or ``H x W``) RGB images,
            uint8 or float, values in 0-255.
        crop_border (int): Pixels removed from each side. Defaults to 0.
        convert_to (str | None): ``'Y'`` for the BT.601 luma only.
            Defaults to None (all channels).
        mask (np.ndarray | None): ``H x W x C`` (or ``H x W``) weights, 1
            inside the overlap of an aligned pair (see
            :func:`~.alignment.align_to_reference`): the MSE is then
            ``sum(mask (img1 - img2)^2) / sum(mask)``, as RealBlur's
            evaluation computes it. Defaults to None (every pixel).

    Returns:
        float: PSNR in dB; ``inf`` for identical images, as MMagic and
        scikit-image return (no cap, so our numbers compare with theirs).
    """
    img1, img2 = prepare_pair(img1, img2, crop_border, convert_to,
                              'calculate_psnr')
    if mask is None:
        mse = np.mean((img1 - img2)**2)
    else:
        mask = prepare_mask(mask, crop_border, convert_to)
        mse = np.sum(mask * (img1 - img2)**2) / (
            np.sum(mask) * img1.shape[2] / mask.shape[2])
    if mse == 0:
        return float('inf')
    return float(10. * np.log10(255.**2 / mse))


@METRICS.register_module()
class PSNR(BaseImageMetric):
    """PSNR averaged over images (each image's PSNR, then the mean).

    Predictions and targets are rounded to 8-bit levels first
    (``round(clamp(x, 0, 1) * 255)``). An image identical to its target
    scores ``inf``, which makes the mean ``inf``; see
    :func:`calculate_psnr`. Returns ``{'PSNR': mean}``; per-image values
    are in :attr:`per_image_results` after evaluation.

    Takes the arguments of :class:`BaseImageMetric`: ``crop_border``,
    ``convert_to`` (``'Y'`` for luma), ``align`` (``'realblur'`` for the
    RealBlur protocol: registered, scored over the overlap),
    ``collect_device``, ``prefix``.
    """

    METRIC = 'PSNR'

    def score(self, img1, img2, mask=None):
        return calculate_psnr(img1, img2, self.crop_border, self.convert_to,
                              mask)
