"""The Kohler benchmark's score: the best registered PSNR over the sharp
frames recorded along the camera path."""
import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from deblurkit.datasets.image_io import read_image
from deblurkit.registry import METRICS
from .alignment import align_to_reference
from .base_image_metric import _field, tensor_to_8bit
from .psnr import calculate_psnr
from .ssim import calculate_ssim


def kohler_score(pred, frames, iterations=100):
    """Score one result as the Kohler benchmark does.

    Kohler et al. compare a deblurred photo ``b`` with each sharp frame
    ``a`` recorded along its camera path: first the gain ``alpha`` and the
    translation ``T`` that minimise ``||a - T(alpha b)||^2`` are estimated,
    then the PSNR is taken, and the photo's score is the best PSNR over the
    frames. We estimate ``alpha`` in closed form and ``T`` by ECC
    registration (translation) as :func:`~.alignment.align_to_reference`
    does, and score over the overlap. SSIM (the mask-weighted SSIM of
    :func:`~.ssim.calculate_ssim`) is reported at the best-PSNR frame.

    Args:
        pred (np.ndarray): ``H x W x 3`` result, 8-bit levels.
        frames (Sequence[np.ndarray]): The sharp frames, 8-bit levels.
        iterations (int): ECC iterations. Defaults to 100.

    Returns:
        dict: ``PSNR``, ``SSIM``, ``frame`` (index of the best frame) and
        ``unaligned`` (how many frames could not be registered; those are
        scored unaligned).
    """
    best, unaligned = None, 0
    for index, frame in enumerate(frames):
        aligned = align_to_reference(pred, frame, 'translation', iterations)
        mask = aligned.mask if aligned.converged else None
        unaligned += not aligned.converged
        psnr = calculate_psnr(aligned.pred, aligned.gt, mask=mask)
        if best is None or psnr > best[0]:
            best = (psnr, index, aligned, mask)
    psnr, index, aligned, mask = best
    return dict(
        PSNR=psnr,
        SSIM=calculate_ssim(aligned.pred, aligned.gt, mask=mask),
        frame=index,
        unaligned=unaligned)


@METRICS.register_module()
class KohlerMetric(BaseMetric):
    """PSNR and SSIM under the Kohler protocol (:func:`kohler_score`).

    Reads ``pred_img`` and the list of sharp-frame files ``gt_frames`` of
    each data sample (from :class:`~deblurkit.datasets.KohlerDataset`; the
    test pipeline's ``PackDeblurInputs`` must keep ``gt_frames`` in its
    ``meta_keys``). Returns ``{'PSNR': mean, 'SSIM': mean}``;
    :attr:`per_image_results` holds ``(key, {'PSNR', 'SSIM', 'frame'})``.

    Args:
        frame_step (int): Score every n-th frame only (1 = all, the
            protocol; larger is faster and can only lower the best score).
            Defaults to 1.
        iterations (int): ECC iterations per frame. Defaults to 100.
        collect_device, prefix: See :class:`mmengine.evaluator.BaseMetric`.
    """

    def __init__(self, frame_step=1, iterations=100, collect_device='cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not isinstance(frame_step, int) or frame_step < 1:
            raise ValueError(f'KohlerMetric: frame_step must be an int >= 1, '
                             f'got {frame_step!r}.')
        self.frame_step = frame_step
        self.iterations = iterations
        self.per_image_results = []

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            key = _field(sample, 'key')
            frames = _field(sample, 'gt_frames')
            pred = _field(sample, 'pred_img')
            if not frames or pred is None:
                raise KeyError(
                    f'KohlerMetric: the data sample of {key!r} lacks '
                    f'{"gt_frames" if not frames else "pred_img"}; use '
                    'KohlerDataset and keep gt_frames in PackDeblurInputs\' '
                    'meta_keys (configs/_base_/datasets/kohler.py does).')
            pred = tensor_to_8bit(pred, f'pred_img of {key!r}')
            images = [
                np.rint(read_image(path)[0].astype(np.float64) * 255)
                for path in frames[::self.frame_step]
            ]
            result = kohler_score(pred, images, self.iterations)
            if result['unaligned']:
                MMLogger.get_current_instance().warning(
                    f'KohlerMetric: {result["unaligned"]} of {len(images)} '
                    f'frames of {key!r} could not be registered; scored '
                    'unaligned.')
            self.results.append(dict(key=key, **result))

    def compute_metrics(self, results):
        self.per_image_results = [
            (r['key'], dict(PSNR=r['PSNR'], SSIM=r['SSIM'], frame=r['frame']))
            for r in results
        ]
        return dict(
            PSNR=float(np.mean([r['PSNR'] for r in results])),
            SSIM=float(np.mean([r['SSIM'] for r in results])))
