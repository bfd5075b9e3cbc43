"""Datasets of blurred/sharp image pairs, and their pipelines."""
from .base_paired_dataset import BasePairedDataset
from .blurred_image_dataset import BlurredImageDataset
from .dvd_dataset import DVD_TEST_VIDEOS, DVDDataset
from .gopro_dataset import GoProDataset, hash_bucket, in_split
from .hide_dataset import HIDEDataset
from .kohler_dataset import KohlerDataset
from .paired_folder_dataset import PairedFolderDataset
from .paired_list_dataset import PairedListDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BasePairedDataset', 'BlurredImageDataset', 'DVDDataset',
    'DVD_TEST_VIDEOS', 'GoProDataset', 'HIDEDataset', 'KohlerDataset',
    'PairedFolderDataset', 'PairedListDataset', 'hash_bucket', 'in_split'
]
