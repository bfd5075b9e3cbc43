"""Blurred | deblurred | sharp triplets during validation and testing."""
import numpy as np
from mmengine.hooks import Hook

from deblurkit.fileio import tensor2img
from deblurkit.registry import HOOKS


def triplet(sample):
    """One ``H x 3W`` RGB image: blurred | deblurred | sharp (if any)."""
    parts = [sample.input_img, sample.pred_img]
    if 'gt_img' in sample:
        parts.append(sample.gt_img)
    parts = [tensor2img(part, bgr=False) for part in parts]
    return np.concatenate(parts, axis=1)


@HOOKS.register_module()
class DeblurVisualizationHook(Hook):
    """Send triplets of the first images of a validation run to the visualizer.

    mmengine's ``Visualizer`` stores them through its backends (with
    ``LocalVisBackend`` under ``<work_dir>/<timestamp>/vis_data/vis_image``),
    named by the image key and tagged with the training iteration.

    Args:
        interval (int): Visualise every ``interval`` validation runs.
        max_images (int): Images per run.
    """

    priority = 'LOW'

    def __init__(self, interval=1, max_images=4):
        self.interval = interval
        self.max_images = max_images
        self._runs = 0
        self._shown = 0

    def before_val_epoch(self, runner):
        self._runs += 1
        self._shown = 0

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None):
        if (self._runs - 1) % self.interval or outputs is None:
            return
        for sample in outputs:
            if self._shown >= self.max_images:
                return
            name = str(sample.metainfo.get('key', self._shown))
            runner.visualizer.add_image(
                'val_' + name.replace('/', '_').rsplit('.', 1)[0],
                triplet(sample),
                step=runner.iter)
            self._shown += 1
