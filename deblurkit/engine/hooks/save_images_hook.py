"""Write the deblurred test images to a folder."""
import os.path as osp

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import print_log

from deblurkit.fileio import OutputFolder, tensor2img, write_image_file
from deblurkit.registry import HOOKS


@HOOKS.register_module()
class SaveDeblurredImagesHook(Hook):
    """Save every ``pred_img`` of a test run as a PNG at the input's bit
    depth (16-bit inputs give 16-bit PNGs, as ``tools/deblur.py`` does).

    Files are named by the data sample's ``key`` (the blurred image's path
    relative to the dataset root), under ``out_dir``, and written with
    :func:`~deblurkit.fileio.write_image_file` (atomic, umask permissions).
    An existing file is replaced only if a deblurkit tool wrote it (see
    :class:`~deblurkit.fileio.OutputFolder`). A file that cannot be written
    is logged and listed in :attr:`failed`; the others are still saved.

    Args:
        out_dir (str): The folder.
    """

    priority = 'LOW'

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.folder = OutputFolder(out_dir)
        self.written = []
        self.failed = []

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        for i, sample in enumerate(outputs or []):
            key = sample.metainfo.get('key') or f'{batch_idx:06d}_{i}.png'
            path = osp.join(self.out_dir, osp.splitext(key)[0] + '.png')
            dtype = np.dtype(sample.metainfo.get('ori_dtype', 'uint8'))
            if dtype != np.uint16:
                dtype = np.dtype(np.uint8)
            try:
                self.folder.claim(path, key)
                image = tensor2img(sample.pred_img, dtype=dtype)
                self.folder.record(path)
                write_image_file(path, image)
                self.written.append(path)
            except (OSError, ValueError) as err:
                self.failed.append((path, str(err)))
                print_log(f'could not save {path}: {err}', logger='current',
                          level=40)
