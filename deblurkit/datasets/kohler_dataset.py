"""Kohler et al. (ECCV 2012): 4 images x 12 recorded camera shakes, each
blurred photo with the sharp frames along its recorded camera path."""
import glob
import os.path as osp
import re

from deblurkit.registry import DATASETS
from .base_paired_dataset import BasePairedDataset, _name_some

_NUMBER = re.compile(r'(\d+)')


def _natural(path):
    return [int(t) if t.isdigit() else t for t in _NUMBER.split(path)]


@DATASETS.register_module()
class KohlerDataset(BasePairedDataset):
    """The Kohler benchmark (48 blurred photos, 4 scenes x 12 shakes).

    Layout (``BlurryImages/Blurry<i>_<j>.png`` as the authors name the
    photos; the frame names are our assumption: other names are set with
    the two patterns, whose ``{image}`` and ``{kernel}`` are the scene and
    shake numbers)::

        data_root/
            BlurryImages/Blurry1_1.png ... Blurry4_12.png
            GroundTruth/GroundTruth1_1_1.png ...   the sharp frames
                                                   recorded along shake 1
                                                   of scene 1, in order

    The benchmark scores a result against every sharp frame of its camera
    path, after registration, and keeps the best (see
    :class:`~deblurkit.evaluation.KohlerMetric`). Each item carries the
    frames in ``gt_frames`` (numerically sorted); ``gt_path`` is the middle
    frame, so plain PSNR/SSIM can run too. A photo without frames is an
    error naming it. Keys are ``'Blurry<i>_<j>'``.

    Args:
        data_root (str): The benchmark folder.
        blur_pattern (str): Blurred photos, relative to ``data_root``.
            Defaults to ``'BlurryImages/Blurry{image}_{kernel}.png'``.
        gt_pattern (str): Glob of one photo's sharp frames. Defaults to
            ``'GroundTruth/GroundTruth{image}_{kernel}_*.png'``.
        images (int): Scenes. Defaults to 4.
        kernels (int): Shakes per scene. Defaults to 12.
        **kwargs: ``check_files``, ``pipeline``, ``test_mode``, ... (see
            :class:`BasePairedDataset`).
    """

    LAYOUT = ('data_root/BlurryImages/Blurry<i>_<j>.png with the sharp '
              'frames data_root/GroundTruth/GroundTruth<i>_<j>_<k>.png '
              '(or set blur_pattern / gt_pattern).')

    def __init__(self,
                 data_root,
                 blur_pattern='BlurryImages/Blurry{image}_{kernel}.png',
                 gt_pattern='GroundTruth/GroundTruth{image}_{kernel}_*.png',
                 images=4,
                 kernels=12,
                 **kwargs):
        self.blur_pattern = blur_pattern
        self.gt_pattern = gt_pattern
        self.images = images
        self.kernels = kernels
        super().__init__(data_root=data_root, **kwargs)

    def describe(self):
        return (f'data_root={self.data_root!r}, blur_pattern='
                f'{self.blur_pattern!r}, gt_pattern={self.gt_pattern!r}')

    def list_pairs(self):
        self.require(self.data_root, 'data_root')
        data_list, no_frames = [], []
        for image in range(1, self.images + 1):
            for kernel in range(1, self.kernels + 1):
                img_path = osp.join(
                    self.data_root,
                    self.blur_pattern.format(image=image, kernel=kernel))
                if not osp.isfile(img_path):
                    continue
                pattern = osp.join(
                    self.data_root,
                    self.gt_pattern.format(image=image, kernel=kernel))
                frames = sorted(glob.glob(pattern), key=_natural)
                if not frames:
                    no_frames.append(f'{img_path} (no {pattern})')
                    continue
                data_list.append(
                    dict(
                        img_path=img_path,
                        gt_path=frames[len(frames) // 2],
                        gt_frames=frames,
                        key=f'Blurry{image}_{kernel}'))
        if no_frames:
            raise FileNotFoundError(
                f'KohlerDataset: {len(no_frames)} blurred photo(s) have no '
                f'sharp frames: {_name_some(no_frames)}. Expected layout: '
                f'{self.LAYOUT}')
        return data_list
