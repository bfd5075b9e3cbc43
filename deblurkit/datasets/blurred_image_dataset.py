"""Blurred photos without ground truth (Lai's real set, NFS, your own)."""
import os.path as osp

from mmengine.dataset import BaseDataset

from deblurkit.registry import DATASETS
from .base_paired_dataset import strip_ext
from .image_io import scan_images


@DATASETS.register_module()
class BlurredImageDataset(BaseDataset):
    """Every image below one folder, with no sharp twin.

    For benchmarks of real blur that have no ground truth, such as Lai et
    al.'s real images (CVPR 2016) and NFS frames: the model is run, its
    outputs are saved (``tools/test.py --save-images``) and scored with a
    no-reference metric (:class:`~deblurkit.evaluation.LaplacianVariance`).

    Layout (sub-folders are searched recursively)::

        data_root/<name>.jpg, data_root/<sub-folder>/<name>.png, ...

    Each item is ``dict(img_path=..., key=...)``; the key is the path
    relative to ``data_root`` without extension. Load with
    ``LoadPairedImages(keys=['img'])``.

    Args:
        data_root (str): The folder of blurred images.
        **kwargs: ``pipeline``, ``test_mode`` and the other arguments of
            :class:`mmengine.dataset.BaseDataset`.
    """

    LAYOUT = 'data_root/[<sub-folder>/]<name>.<png|jpg|...> (no ground truth).'

    def __init__(self, data_root, **kwargs):
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self):
        name = type(self).__name__
        if not osp.isdir(self.data_root):
            raise FileNotFoundError(
                f'{name}: data_root folder {self.data_root!r} does not exist. '
                f'Expected layout: {self.LAYOUT} Fix data_root in the config, '
                'e.g. with --cfg-options.')
        found = scan_images(self.data_root)
        if not found:
            raise ValueError(f'{name} found no images in {self.data_root!r}. '
                             f'Expected layout: {self.LAYOUT}')
        return [
            dict(img_path=osp.join(self.data_root, rel), key=strip_ext(rel))
            for rel in found
        ]
