"""Datasets of blurred/sharp image pairs, and their pipelines."""
from .base_paired_dataset import BasePairedDataset
from .gopro_dataset import GoProDataset, hash_bucket, in_split
from .hide_dataset import HIDEDataset
from .paired_folder_dataset import PairedFolderDataset
from .paired_list_dataset import PairedListDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BasePairedDataset', 'GoProDataset', 'HIDEDataset', 'PairedFolderDataset',
    'PairedListDataset', 'hash_bucket', 'in_split'
]
