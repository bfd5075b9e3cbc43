"""Write the deblurred test images to a folder."""
import os.path as osp

import cv2
from mmengine.hooks import Hook

from deblurkit.registry import HOOKS
from ..checkpoint import atomic_write
from .visualization_hook import to_uint8_hwc


@HOOKS.register_module()
class SaveDeblurredImagesHook(Hook):
    """Save every ``pred_img`` of a test run as an 8-bit PNG.

    Files are named by the data sample's ``key`` (the blurred image's path
    relative to the dataset root), under ``out_dir``, written to a temporary
    name and renamed.

    Args:
        out_dir (str): The folder.
    """

    priority = 'LOW'

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        for i, sample in enumerate(outputs or []):
            key = sample.metainfo.get('key') or f'{batch_idx:06d}_{i}.png'
            path = osp.join(self.out_dir, osp.splitext(key)[0] + '.png')
            image = cv2.cvtColor(to_uint8_hwc(sample.pred_img),
                                 cv2.COLOR_RGB2BGR)
            ok, encoded = cv2.imencode('.png', image)
            if not ok:
                raise RuntimeError(f'could not encode {path}')
            atomic_write(path, encoded.tobytes())
