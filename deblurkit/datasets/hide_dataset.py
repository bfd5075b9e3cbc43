"""HIDE: blurred images in test/ (and train/), sharp ones flat in GT/."""
import os.path as osp

from deblurkit.registry import DATASETS
from .base_paired_dataset import BasePairedDataset, strip_ext
from .image_io import scan_images


@DATASETS.register_module()
class HIDEDataset(BasePairedDataset):
    """The HIDE deblurring benchmark (Shen et al., ICCV 2019).

    Assumed layout, as distributed in ``HIDE_dataset`` (2025 test pairs)::

        data_root/
            GT/               sharp images of train and test, flat
                1fromGOPR0950.png ...
            test/
                test-close-ups/1fromGOPR0950.png ...
                test-long-shot/...
            train/            blurred training images, flat

    A blurred image ``<blur_dir>/<any sub-folder>/<name>`` pairs with
    ``<gt_dir>/<name>`` (same file name, sub-folder dropped). Without
    ``ann_file`` every image below ``blur_dir`` is used; with it, only the
    listed ones. A list line holds one name, either relative to
    ``blur_dir`` (``test-close-ups/1fromGOPR0950.png``) or a bare file name
    (``1fromGOPR0950.png``), looked up below ``blur_dir``. Keys are paths
    relative to ``blur_dir`` without extension
    (``'test-close-ups/1fromGOPR0950'``).

    Args:
        data_root (str): The ``HIDE_dataset`` folder.
        blur_dir (str): Folder of the blurred images, relative to
            ``data_root``. Defaults to ``'test'``.
        gt_dir (str): Folder of the sharp images, relative to ``data_root``.
            Defaults to ``'GT'``.
        ann_file (str): Optional list file of names; relative to
            ``data_root`` unless absolute. Defaults to '' (use every image).
        check_files (bool): See :class:`BasePairedDataset`.
        **kwargs: ``pipeline``, ``test_mode`` and the other arguments of
            :class:`mmengine.dataset.BaseDataset`.
    """

    LAYOUT = ('data_root/<blur_dir>/[<sub-folder>/]<name> paired with '
              'data_root/<gt_dir>/<name> (HIDE: test/test-close-ups/*.png, '
              'test/test-long-shot/*.png and GT/*.png).')

    def __init__(self,
                 data_root,
                 blur_dir='test',
                 gt_dir='GT',
                 ann_file='',
                 check_files=False,
                 **kwargs):
        self.blur_dir = blur_dir
        self.gt_dir = gt_dir
        super().__init__(
            check_files=check_files,
            data_root=data_root,
            ann_file=ann_file,
            **kwargs)

    def describe(self):
        return (f'data_root={self.data_root!r}, blur_dir={self.blur_dir!r}, '
                f'gt_dir={self.gt_dir!r}, ann_file={self.ann_file!r}')

    def _listed_names(self, blur_folder, available):
        """Names of ``ann_file`` resolved to paths relative to blur_dir."""
        by_basename = {}
        for rel in available:
            by_basename.setdefault(osp.basename(rel), []).append(rel)
        names = []
        for (name, ) in self.read_list_file(1, 'name'):
            if osp.isfile(osp.join(blur_folder, name)):
                names.append(name)
            elif len(by_basename.get(name, [])) == 1:
                names.append(by_basename[name][0])
            else:
                # Missing or ambiguous: keep it, so the check that follows
                # names it among the missing blurred images.
                names.append(name)
        return names

    def list_pairs(self):
        self.require(self.data_root, 'data_root')
        blur_folder = self.resolve(self.blur_dir)
        gt_folder = self.resolve(self.gt_dir)
        self.require(blur_folder, 'blur_dir')
        self.require(gt_folder, 'gt_dir')
        names = scan_images(blur_folder)
        if self.ann_file:
            names = self._listed_names(blur_folder, names)
        return [
            dict(
                img_path=osp.join(blur_folder, rel),
                gt_path=osp.join(gt_folder, osp.basename(rel)),
                key=strip_ext(rel)) for rel in names
        ]
