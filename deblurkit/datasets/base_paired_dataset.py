"""What every blurred/sharp pair dataset checks before training starts."""
import os.path as osp

from mmengine.dataset import BaseDataset

from .image_io import check_complete, read_image_size

# How many offending files an error message names before it only counts.
_MAX_NAMED = 5


def _name_some(items):
    """``'a, b, c'`` for the first few items, then ``' (and N more)'``."""
    named = ', '.join(items[:_MAX_NAMED])
    if len(items) > _MAX_NAMED:
        named += f' (and {len(items) - _MAX_NAMED} more)'
    return named


def strip_ext(rel_path):
    """A key from a relative path: the path without its file extension."""
    return osp.splitext(rel_path)[0]


class BasePairedDataset(BaseDataset):
    """Base of the blurred/sharp pair datasets.

    A subclass says where its pairs are (:meth:`list_pairs`); this class
    vets them in :meth:`load_data_list`, i.e. when the dataset is built, so
    that a bad folder fails at once instead of hours into training:

    - every blurred image and its sharp twin exist (the error names the
      first few missing files and counts them);
    - the dataset is not empty and its keys are unique;
    - with ``check_files=True``, additionally every file is complete (PNG
      and JPEG end markers) and both images of a pair have the same size,
      read from the file headers where the format allows (a few ms a pair).

    A file that is damaged in a way only full decoding reveals is reported,
    by name, by ``LoadPairedImages`` when it is read.

    Each item of the data list is ``dict(img_path=..., gt_path=..., key=...)``
    where ``key`` is a name unique in the dataset (the blurred image's path
    relative to the dataset's folder, without extension).

    Args:
        check_files (bool): Also decode headers and compare pair sizes at
            build time. Defaults to False.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``data_root``, ``pipeline``, ``test_mode``, ...).
    """

    #: One line telling the user which layout the dataset expects.
    LAYOUT = ''

    def __init__(self, check_files=False, **kwargs):
        self.check_files = check_files
        super().__init__(**kwargs)

    def list_pairs(self):
        """The candidate pairs: a list of ``dict(img_path, gt_path, key)``.

        Paths need not exist; :meth:`load_data_list` checks them.
        """
        raise NotImplementedError

    def describe(self):
        """Where the data comes from, for error messages."""
        return f'data_root={self.data_root!r}'

    def resolve(self, path):
        """``path`` joined to ``data_root`` unless it is absolute."""
        if self.data_root and not osp.isabs(path):
            return osp.join(self.data_root, path)
        return path

    def require(self, path, argument, is_dir=True):
        """Raise naming ``argument`` if the folder (or file) is missing."""
        if not (osp.isdir(path) if is_dir else osp.isfile(path)):
            kind = 'folder' if is_dir else 'file'
            raise FileNotFoundError(
                f'{type(self).__name__}: {argument} {kind} {path!r} does not '
                f'exist. Expected layout: {self.LAYOUT} Fix {argument} (or '
                'data_root) in the config, e.g. with --cfg-options.')

    def read_list_file(self, n_fields, line_format):
        """Lines of ``self.ann_file`` split into ``n_fields`` fields each.

        Blank lines and lines starting with ``#`` are skipped. Paths with
        spaces are not supported (the fields are whitespace-separated).

        Args:
            n_fields (int): Fields a line must have.
            line_format (str): What a line holds, for the error message.

        Returns:
            list[list[str]]: The fields of each line.
        """
        self.require(self.ann_file, 'ann_file', is_dir=False)
        rows, bad = [], []
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                fields = line.split()
                if not fields or fields[0].startswith('#'):
                    continue
                if len(fields) != n_fields:
                    bad.append(f'line {lineno}: {line.strip()!r}')
                rows.append(fields)
        if bad:
            raise ValueError(
                f'{type(self).__name__}: {len(bad)} line(s) of {self.ann_file}'
                f' do not parse as "{line_format}" ({n_fields} '
                f'whitespace-separated field(s)): {_name_some(bad)}.')
        return rows

    def load_data_list(self):
        """List the pairs and vet them (see the class docstring)."""
        data_list = self.list_pairs()
        name = type(self).__name__
        if not data_list:
            raise ValueError(
                f'{name} found no image pairs ({self.describe()}). Expected '
                f'layout: {self.LAYOUT}')

        no_blur = [
            d['img_path'] for d in data_list if not osp.isfile(d['img_path'])
        ]
        if no_blur:
            raise FileNotFoundError(
                f'{name}: {len(no_blur)} of {len(data_list)} blurred images '
                f'do not exist ({self.describe()}): {_name_some(no_blur)}. '
                'Fix the paths or remove those entries.')
        no_twin = [
            f"{d['img_path']} (expected {d['gt_path']})" for d in data_list
            if not osp.isfile(d['gt_path'])
        ]
        if no_twin:
            raise FileNotFoundError(
                f'{name}: {len(no_twin)} of {len(data_list)} blurred images '
                f'have no sharp twin ({self.describe()}): '
                f'{_name_some(no_twin)}. Expected layout: {self.LAYOUT} Add '
                'the sharp images or remove the blurred ones.')

        keys = {}
        for d in data_list:
            if d['key'] in keys:
                raise ValueError(
                    f"{name}: two blurred images share the key {d['key']!r}: "
                    f"{keys[d['key']]} and {d['img_path']} (the key is the "
                    'path without extension). Rename or remove one.')
            keys[d['key']] = d['img_path']

        if self.check_files:
            self._check_files(data_list)
        return data_list

    def _check_files(self, data_list):
        problems = []
        for d in data_list:
            sizes = []
            for path in (d['img_path'], d['gt_path']):
                try:
                    check_complete(path)
                    sizes.append(tuple(read_image_size(path)))
                except OSError as e:
                    problems.append(str(e))
            if len(sizes) == 2 and sizes[0] != sizes[1]:
                problems.append(
                    f"{d['img_path']} is {sizes[0][0]}x{sizes[0][1]} but "
                    f"{d['gt_path']} is {sizes[1][0]}x{sizes[1][1]}")
        if problems:
            raise OSError(
                f'{type(self).__name__}: check_files found {len(problems)} '
                f'problem(s) ({self.describe()}): {_name_some(problems)}. '
                'Re-copy or remove those files.')
