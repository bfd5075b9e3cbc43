"""GoPro (GOPRO_Large): one folder per sequence with blur/ and sharp/."""
import os
import os.path as osp
from hashlib import sha1

from deblurkit.registry import DATASETS
from .base_paired_dataset import BasePairedDataset, strip_ext
from .image_io import scan_images

#: Bucket ranges of the official train/val split, as fractions of the buckets.
SPLIT_BOUNDS = dict(train=(0.0, 0.9), val=(0.9, 1.0))


def hash_bucket(blur_path, sharp_path, n_buckets=100, salt=''):
    """The bucket the official DeblurGAN-v2 code puts a pair in.

    The official loader hashes the two file *names* (not folders) joined
    together, plus ``'_' + salt``, with SHA-1, and takes the digest modulo
    ``n_buckets``. Buckets [0, 90) train, [90, 100) validate. Reproduced so
    that our split matches theirs pair for pair.

    Args:
        blur_path (str): Path (or name) of the blurred image.
        sharp_path (str): Path (or name) of the sharp image.
        n_buckets (int): Number of buckets. Defaults to 100.
        salt (str): Appended to the names before hashing. Defaults to ''.

    Returns:
        int: The bucket, in ``[0, n_buckets)``.
    """
    names = osp.basename(blur_path) + osp.basename(sharp_path)
    digest = sha1(f'{names}_{salt}'.encode()).hexdigest()
    return int(digest, 16) % n_buckets


def in_split(blur_path, sharp_path, split, n_buckets=100):
    """Whether a pair belongs to ``split`` (``'train'`` or ``'val'``)."""
    low, high = (bound * n_buckets for bound in SPLIT_BOUNDS[split])
    return low <= hash_bucket(blur_path, sharp_path, n_buckets) < high


@DATASETS.register_module()
class GoProDataset(BasePairedDataset):
    """The GoPro deblurring dataset (or any data in its layout).

    Layout (``blur_dir`` and ``sharp_dir`` name the two sub-folders; any
    image extension is accepted, the sharp twin has the same file name)::

        data_root/
            GOPR0372_07_00/
                blur/000047.png ...
                sharp/000047.png ...
            GOPR0372_07_01/
                ...

    Sequence folders without ``blur_dir`` are ignored. Keys are
    ``'<sequence>/<name without extension>'``, e.g.
    ``'GOPR0372_07_00/000047'``.

    Args:
        data_root (str): The folder holding the sequences, e.g.
            ``'data/GoPro/train'``.
        blur_dir (str): Sub-folder of the blurred images. GoPro also has
            ``'blur_gamma'``; the paper uses ``'blur'``. Defaults to
            ``'blur'``.
        sharp_dir (str): Sub-folder of the sharp images. Defaults to
            ``'sharp'``.
        split (str | None): ``None`` for every pair, ``'train'`` or
            ``'val'`` for the official DeblurGAN-v2 hash split (see
            :func:`hash_bucket`; about 90% / 10%, deterministic).
            Defaults to None.
        check_files (bool): See :class:`BasePairedDataset`.
        **kwargs: ``pipeline``, ``test_mode`` and the other arguments of
            :class:`mmengine.dataset.BaseDataset`.
    """

    LAYOUT = ('data_root/<sequence>/<blur_dir>/*.png paired by file name '
              'with data_root/<sequence>/<sharp_dir>/*.png.')

    def __init__(self,
                 data_root,
                 blur_dir='blur',
                 sharp_dir='sharp',
                 split=None,
                 check_files=False,
                 **kwargs):
        if split is not None and split not in SPLIT_BOUNDS:
            raise ValueError(f'GoProDataset: split must be None, "train" or '
                             f'"val", got {split!r}.')
        self.blur_dir = blur_dir
        self.sharp_dir = sharp_dir
        self.split = split
        super().__init__(
            check_files=check_files, data_root=data_root, **kwargs)

    def describe(self):
        return (f'data_root={self.data_root!r}, blur_dir={self.blur_dir!r}, '
                f'sharp_dir={self.sharp_dir!r}, split={self.split!r}')

    def list_pairs(self):
        self.require(self.data_root, 'data_root')
        sequences = sorted(
            name for name in os.listdir(self.data_root)
            if osp.isdir(osp.join(self.data_root, name, self.blur_dir)))
        if not sequences:
            raise FileNotFoundError(
                f'GoProDataset: no sequence folder in {self.data_root!r} has '
                f'a {self.blur_dir!r} sub-folder. Expected layout: '
                f'{self.LAYOUT} Point data_root at the folder that holds the '
                'sequences (e.g. data/GoPro/train), or set blur_dir.')
        data_list = []
        for seq in sequences:
            blur_folder = osp.join(self.data_root, seq, self.blur_dir)
            sharp_folder = osp.join(self.data_root, seq, self.sharp_dir)
            for rel in scan_images(blur_folder):
                img_path = osp.join(blur_folder, rel)
                gt_path = osp.join(sharp_folder, rel)
                if self.split and not in_split(img_path, gt_path, self.split):
                    continue
                data_list.append(
                    dict(
                        img_path=img_path,
                        gt_path=gt_path,
                        key=f'{seq}/{strip_ext(rel)}'))
        return data_list
