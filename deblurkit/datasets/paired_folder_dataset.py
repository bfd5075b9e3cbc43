"""Two folders whose files pair by relative path."""
import os.path as osp

from deblurkit.registry import DATASETS
from .base_paired_dataset import BasePairedDataset, strip_ext
from .image_io import scan_images


@DATASETS.register_module()
class PairedFolderDataset(BasePairedDataset):
    """Blurred images in one folder, sharp twins at the same relative path
    in another.

    Layout (sub-folders are searched recursively)::

        blur_root/a.png, blur_root/scene1/b.png, ...
        sharp_root/a.png, sharp_root/scene1/b.png, ...

    This fits the ``input/`` + ``target/`` test folders many deblurring
    repositories distribute. Keys are the relative paths without extension
    (``'a'``, ``'scene1/b'``).

    Args:
        blur_root (str): Folder of the blurred images; relative to
            ``data_root`` unless absolute.
        sharp_root (str): Folder of the sharp images; relative to
            ``data_root`` unless absolute.
        data_root (str): Prefix of the two roots. Defaults to ''.
        check_files (bool): See :class:`BasePairedDataset`.
        **kwargs: ``pipeline``, ``test_mode`` and the other arguments of
            :class:`mmengine.dataset.BaseDataset`.
    """

    LAYOUT = ('blur_root/<name> paired with sharp_root/<name> (same '
              'relative path and file name).')

    def __init__(self,
                 blur_root,
                 sharp_root,
                 data_root='',
                 check_files=False,
                 **kwargs):
        self.blur_root = blur_root
        self.sharp_root = sharp_root
        super().__init__(
            check_files=check_files, data_root=data_root, **kwargs)

    def describe(self):
        return (f'blur_root={self.resolve(self.blur_root)!r}, '
                f'sharp_root={self.resolve(self.sharp_root)!r}')

    def list_pairs(self):
        blur_root = self.resolve(self.blur_root)
        sharp_root = self.resolve(self.sharp_root)
        self.require(blur_root, 'blur_root')
        self.require(sharp_root, 'sharp_root')
        return [
            dict(
                img_path=osp.join(blur_root, rel),
                gt_path=osp.join(sharp_root, rel),
                key=strip_ext(rel)) for rel in scan_images(blur_root)
        ]
