"""DVD (Su et al., CVPR 2017): videos as folders of blurred and sharp
frames."""
import os.path as osp

from deblurkit.registry import DATASETS
from .gopro_dataset import GoProDataset

#: The ten test videos of the DVD split (Su et al.); the other 61 train.
DVD_TEST_VIDEOS = ('720p_240fps_2', 'IMG_0003', 'IMG_0021', 'IMG_0030',
                   'IMG_0031', 'IMG_0032', 'IMG_0033', 'IMG_0037',
                   'IMG_0039', 'IMG_0049')


@DATASETS.register_module()
class DVDDataset(GoProDataset):
    """The DeepVideoDeblurring dataset's frame pairs (71 videos).

    Layout, as distributed in ``DeepVideoDeblurring_Dataset``::

        data_root/                  e.g. .../quantitative_datasets
            IMG_0003/
                input/00000.jpg ...     blurred frames
                GT/00000.jpg ...        sharp frames, same names
            IMG_0021/
                ...

    Keys are ``'<video>/<frame>'``. ``videos`` selects videos by folder
    name (the test configs list :data:`DVD_TEST_VIDEOS`); a listed video
    that is missing is an error naming it.

    Args:
        data_root (str): The folder holding the video folders.
        videos (Sequence[str] | None): Only these videos. Defaults to None
            (every video folder that has ``blur_dir``).
        exclude_videos (Sequence[str]): Videos to leave out (e.g. the test
            videos, for training). Defaults to ().
        blur_dir (str): Sub-folder of the blurred frames. Defaults to
            ``'input'``.
        sharp_dir (str): Sub-folder of the sharp frames. Defaults to
            ``'GT'``.
        **kwargs: ``check_files``, ``pipeline``, ``test_mode``, ... (see
            :class:`GoProDataset`).
    """

    LAYOUT = ('data_root/<video>/<blur_dir>/*.jpg paired by file name with '
              'data_root/<video>/<sharp_dir>/*.jpg (DVD: input/ and GT/).')

    def __init__(self,
                 data_root,
                 videos=None,
                 exclude_videos=(),
                 blur_dir='input',
                 sharp_dir='GT',
                 **kwargs):
        if isinstance(videos, str) or isinstance(exclude_videos, str):
            raise TypeError('DVDDataset: videos and exclude_videos must be '
                            'lists of folder names, not a string.')
        self.videos = None if videos is None else list(videos)
        self.exclude_videos = list(exclude_videos)
        super().__init__(
            data_root=data_root, blur_dir=blur_dir, sharp_dir=sharp_dir,
            **kwargs)

    def describe(self):
        return super().describe() + f', videos={self.videos!r}'

    def list_pairs(self):
        if self.videos is not None:
            missing = [
                v for v in self.videos if not osp.isdir(
                    osp.join(self.data_root, v, self.blur_dir))
            ]
            if missing:
                raise FileNotFoundError(
                    f'DVDDataset: {len(missing)} listed video(s) have no '
                    f'{self.blur_dir!r} folder in {self.data_root!r}: '
                    f'{", ".join(missing)}. Expected layout: {self.LAYOUT} '
                    'Fix videos (or data_root) in the config.')
        pairs = super().list_pairs()
        keep = set(self.videos) if self.videos is not None else None
        return [
            p for p in pairs if (keep is None or p['key'].split('/')[0] in
                                 keep) and p['key'].split('/')[0] not in
            self.exclude_videos
        ]
