"""Kohler, DVD, blurred-only (Lai/NFS) datasets and the benchmark configs
on tiny synthetic copies of their layouts."""
import os
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import (first_batch, write_blurred_folder, write_dvd_dataset,
                      write_gopro_dataset, write_kohler_dataset)
from deblurkit.datasets import (DVD_TEST_VIDEOS, BlurredImageDataset,
                                DVDDataset, KohlerDataset)

CONFIG_DIR = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets')


def config(name, **options):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    cfg.merge_from_dict(options)
    return cfg


def test_kohler_dataset_lists_each_photo_with_its_frames(tmp_path):
    root = write_kohler_dataset(tmp_path, images=2, kernels=2, frames=11)
    data = KohlerDataset(data_root=root, test_mode=True)
    assert [d['key'] for d in data] == [
        'Blurry1_1', 'Blurry1_2', 'Blurry2_1', 'Blurry2_2'
    ]
    frames = data[0]['gt_frames']
    # Numeric order: 1, 2, ..., 10, 11 (not 1, 10, 11, 2).
    assert [osp.basename(f) for f in frames] == [
        f'GroundTruth1_1_{k}.png' for k in range(1, 12)
    ]
    assert data[0]['gt_path'] == frames[5]
    os.remove(osp.join(root, 'GroundTruth', 'GroundTruth2_2_3.png'))
    for k in (1, 2, 4, 5, 6, 7, 8, 9, 10, 11):
        os.remove(osp.join(root, 'GroundTruth', f'GroundTruth2_2_{k}.png'))
    with pytest.raises(FileNotFoundError, match='Blurry2_2.png'):
        KohlerDataset(data_root=root)


def test_empty_kohler_folder_says_what_it_expects(tmp_path):
    with pytest.raises(ValueError, match='found no image pairs.*Blurry'):
        KohlerDataset(data_root=str(tmp_path))


def test_kohler_config_keeps_the_frames(tmp_path):
    root = write_kohler_dataset(tmp_path, frames=3)
    cfg = config('kohler.py', **{'test_dataloader.dataset.data_root': root})
    n, batch = first_batch(cfg.test_dataloader)
    sample = batch['data_samples'][0]
    assert n == 2
    assert len(sample.gt_frames) == 3 and 'gt_img' not in sample
    assert [m['type'] for m in cfg.test_evaluator] == ['KohlerMetric']


def test_dvd_dataset_selects_videos(tmp_path):
    root = write_dvd_dataset(tmp_path, videos=('IMG_0003', 'IMG_0100'))
    every = DVDDataset(data_root=root)
    assert [d['key'] for d in every] == [
        'IMG_0003/00000', 'IMG_0003/00001', 'IMG_0100/00000',
        'IMG_0100/00001'
    ]
    test = DVDDataset(data_root=root, videos=['IMG_0003'])
    assert {d['key'].split('/')[0] for d in test} == {'IMG_0003'}
    train = DVDDataset(data_root=root, exclude_videos=DVD_TEST_VIDEOS)
    assert {d['key'].split('/')[0] for d in train} == {'IMG_0100'}
    assert train[0]['gt_path'].endswith(osp.join('IMG_0100', 'GT',
                                                 '00000.jpg'))
    with pytest.raises(FileNotFoundError, match='IMG_0049'):
        DVDDataset(data_root=root, videos=['IMG_0003', 'IMG_0049'])
    os.remove(osp.join(root, 'IMG_0100', 'GT', '00001.jpg'))
    with pytest.raises(FileNotFoundError, match='IMG_0100.input.00001.jpg'):
        DVDDataset(data_root=root)


def test_dvd_config_uses_the_test_videos(tmp_path):
    cfg = config('dvd.py')
    assert tuple(cfg.test_dataloader.dataset.videos) == DVD_TEST_VIDEOS
    root = write_dvd_dataset(tmp_path, videos=DVD_TEST_VIDEOS[:1] +
                             ('IMG_0100', ), frames=1)
    cfg.merge_from_dict({
        'test_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.videos': list(DVD_TEST_VIDEOS[:1])
    })
    n, batch = first_batch(cfg.test_dataloader)
    assert n == 1 and batch['data_samples'][0].gt_img.shape == (3, 64, 64)


@pytest.mark.parametrize('name', ['lai.py', 'nfs.py'])
def test_no_ground_truth_configs(tmp_path, name):
    root = write_blurred_folder(tmp_path / 'photos', images=2)
    cfg = config(name, **{'test_dataloader.dataset.data_root': root})
    n, batch = first_batch(cfg.test_dataloader)
    assert n == 2
    assert batch['data_samples'][0].key == 'photo0'
    assert 'gt_img' not in batch['data_samples'][0]
    assert [m['type'] for m in cfg.test_evaluator] == ['LaplacianVariance']
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='found no images in'):
        BlurredImageDataset(data_root=str(tmp_path / 'empty'))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        BlurredImageDataset(data_root=str(tmp_path / 'nowhere'))


def test_realblur_configs_use_the_realblur_protocol():
    for name in ('realblur_j.py', 'realblur_r.py'):
        cfg = config(name)
        assert [m.get('align') for m in cfg.test_evaluator] == [
            'realblur', 'realblur'
        ]


def test_restore_mix_concatenates_gopro_dvd_and_nfs(tmp_path):
    gopro = write_gopro_dataset(tmp_path / 'gopro', images=1)
    dvd = write_dvd_dataset(tmp_path / 'dvd', videos=('IMG_0003',
                                                      'IMG_0100'), frames=1)
    nfs = write_gopro_dataset(tmp_path / 'nfs', sequences=('v1', ), images=3)
    cfg = config(
        'restore_mix.py', **{
            'train_dataloader.dataset.datasets.0.data_root': gopro,
            'train_dataloader.dataset.datasets.1.data_root': dvd,
            'train_dataloader.dataset.datasets.2.data_root': nfs,
        })
    n, batch = first_batch(cfg.train_dataloader)
    # 2 GoPro + 1 DVD (the test video left out) + 3 NFS pairs.
    assert n == 6
    assert batch['inputs'][0].shape == (3, 256, 256)
    types = [t['type'] for t in cfg.train_dataloader.dataset.datasets[0]
             .pipeline]
    assert 'RandomCorrupt' in types
    full = Config.fromfile(
        osp.join(CONFIG_DIR, '..', '..', 'deblurganv2_inception_restore.py'))
    assert full.train_dataloader.dataset.type == 'ConcatDataset'
    assert full.model.generator.backbone.type == 'InceptionResNetV2'
