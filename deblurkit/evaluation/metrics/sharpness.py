"""A no-reference sharpness score, for test sets without ground truth."""
import cv2
import numpy as np
from mmengine.evaluator import BaseMetric

from deblurkit.registry import METRICS
from .base_image_metric import _field, tensor_to_8bit

# ITU-R 601 luma weights; the Laplacian is OpenCV's 3x3 (ksize=1) kernel
# [[0, 1, 0], [1, -4, 1], [0, 1, 0]].
_LUMA = np.array([0.299, 0.587, 0.114])


def laplacian_variance(img):
    """Variance of the Laplacian of an image's luma: higher is sharper.

    ``var(L * g)`` where ``g = 0.299 R + 0.587 G + 0.114 B`` on 8-bit levels
    (float, not rounded), ``L`` is the 4-neighbour Laplacian
    ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`` with mirrored borders
    (OpenCV's default), and the variance is over all pixels. It measures
    the energy of fine detail (Pech-Pacheco et al., ICPR 2000); it also
    rises with noise and ringing, so it ranks results of one input, not
    different scenes.

    Args:
        img (np.ndarray): ``H x W x 3`` RGB or ``H x W`` gray, 0-255.

    Returns:
        float: The variance, in squared gray levels.
    """
    img = np.asarray(img, np.float64)
    gray = img @ _LUMA if img.ndim == 3 and img.shape[2] == 3 else (
        img[..., 0] if img.ndim == 3 else img)
    return float(cv2.Laplacian(gray, cv2.CV_64F, ksize=1).var())


@METRICS.register_module()
class LaplacianVariance(BaseMetric):
    """:func:`laplacian_variance` of each prediction (and of each blurred
    input, for comparison), averaged over images. Needs no ground truth.

    Returns ``{'LapVar': mean over predictions, 'LapVar-input': mean over
    inputs}``; per-image values (of the predictions) are in
    :attr:`per_image_results`.
    """

    METRIC = 'LapVar'

    def __init__(self, collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.per_image_results = []

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            key = _field(sample, 'key')
            pred = _field(sample, 'pred_img')
            if pred is None:
                raise KeyError(f'LaplacianVariance: the data sample of '
                               f'{key!r} has no pred_img.')
            entry = dict(
                key=key,
                value=laplacian_variance(
                    tensor_to_8bit(pred, f'pred_img of {key!r}')))
            inp = _field(sample, 'input_img')
            if inp is not None:
                entry['input'] = laplacian_variance(
                    tensor_to_8bit(inp, f'input_img of {key!r}'))
            self.results.append(entry)

    def compute_metrics(self, results):
        self.per_image_results = [(r['key'], r['value']) for r in results]
        out = {self.METRIC: float(np.mean([r['value'] for r in results]))}
        inputs = [r['input'] for r in results if 'input' in r]
        if inputs:
            out[f'{self.METRIC}-input'] = float(np.mean(inputs))
        return out
