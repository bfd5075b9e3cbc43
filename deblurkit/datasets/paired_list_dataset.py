"""Pairs given by a list file of "gt blur" (or "blur gt") lines."""
from deblurkit.registry import DATASETS
from .base_paired_dataset import BasePairedDataset, strip_ext

_LINE_FORMATS = ('gt blur', 'blur gt')


@DATASETS.register_module()
class PairedListDataset(BasePairedDataset):
    """Pairs listed in a text file, one pair a line.

    RealBlur's lists (``RealBlur_J_test_list.txt``, ...) have
    ``"gt_path blur_path"`` lines, paths relative to the RealBlur folder::

        RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene230/gt/gt_1.png \
RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene230/blur/blur_1.png

    Blank lines and ``#`` comments are skipped; a line with another number
    of fields is an error naming the file and line. Keys are the blurred
    path as written in the list, without extension.

    Args:
        ann_file (str): The list file; relative to ``data_root`` unless
            absolute.
        data_root (str): Folder the listed paths are relative to (absolute
            listed paths are used as they are). Defaults to ''.
        line_format (str): ``'gt blur'`` (RealBlur) or ``'blur gt'``.
            Defaults to ``'gt blur'``.
        check_files (bool): See :class:`BasePairedDataset`.
        **kwargs: ``pipeline``, ``test_mode`` and the other arguments of
            :class:`mmengine.dataset.BaseDataset`.
    """

    LAYOUT = ('ann_file with one "<path> <path>" line per pair, paths '
              'relative to data_root.')

    def __init__(self,
                 ann_file,
                 data_root='',
                 line_format='gt blur',
                 check_files=False,
                 **kwargs):
        if line_format not in _LINE_FORMATS:
            raise ValueError(f'PairedListDataset: line_format must be one of '
                             f'{_LINE_FORMATS}, got {line_format!r}.')
        self.line_format = line_format
        super().__init__(
            check_files=check_files,
            ann_file=ann_file,
            data_root=data_root,
            **kwargs)

    def describe(self):
        return f'ann_file={self.ann_file!r}, data_root={self.data_root!r}'

    def list_pairs(self):
        blur_first = self.line_format == 'blur gt'
        data_list = []
        for first, second in self.read_list_file(2, self.line_format):
            blur, gt = (first, second) if blur_first else (second, first)
            data_list.append(
                dict(
                    img_path=self.resolve(blur),
                    gt_path=self.resolve(gt),
                    key=strip_ext(blur.lstrip('/'))))
        return data_list
