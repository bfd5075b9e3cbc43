"""The pair datasets: which pairs they find, and how they fail."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

from deblurkit.datasets import (GoProDataset, HIDEDataset, PairedFolderDataset,
                                PairedListDataset, hash_bucket, in_split)
from deblurkit.registry import DATASETS


def infos(dataset):
    """The data list (the dataset serialises and clears ``data_list``)."""
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def write_png(path, value=0, shape=(40, 48, 3)):
    """A tiny constant PNG at ``path`` (folders created)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), np.full(shape, value, np.uint8))
    return str(path)


@pytest.fixture
def gopro_root(tmp_path):
    root = tmp_path / 'GoPro' / 'train'
    for seq, names in (('GOPR0001_00', ['000001', '000002']), ('GOPR0002_00',
                                                               ['000001'])):
        for name in names:
            write_png(root / seq / 'blur' / f'{name}.png', 10)
            write_png(root / seq / 'sharp' / f'{name}.png', 20)
    (root / 'readme_not_a_sequence').mkdir()
    return str(root)


def test_gopro_pairs_and_keys(gopro_root):
    dataset = GoProDataset(data_root=gopro_root)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [d['key'] for d in infos] == [
        'GOPR0001_00/000001', 'GOPR0001_00/000002', 'GOPR0002_00/000001'
    ]
    first = infos[0]
    assert first['img_path'] == osp.join(gopro_root, 'GOPR0001_00', 'blur',
                                         '000001.png')
    assert first['gt_path'] == osp.join(gopro_root, 'GOPR0001_00', 'sharp',
                                        '000001.png')


def test_gopro_built_from_registry_with_pipeline(gopro_root):
    # The Runner builds under default_scope='deblurkit'; so do we.
    with DefaultScope.overwrite_default_scope('deblurkit'):
        dataset = DATASETS.build(
            dict(
                type='GoProDataset',
                data_root=gopro_root,
                pipeline=[
                    dict(type='LoadPairedImages'),
                    dict(type='PackDeblurInputs')
                ]))
    sample = dataset[0]
    assert sample['inputs'].shape == (3, 40, 48)
    assert np.isclose(sample['inputs'].max().item(), 10 / 255)
    assert np.isclose(sample['data_samples'].gt_img.max().item(), 20 / 255)
    assert sample['data_samples'].key == 'GOPR0001_00/000001'


def test_gopro_other_blur_dir_and_jpg(tmp_path):
    root = tmp_path / 'g'
    write_png(root / 's' / 'blur_gamma' / 'a.jpg', 5)
    write_png(root / 's' / 'sharp' / 'a.jpg', 5)
    dataset = GoProDataset(data_root=str(root), blur_dir='blur_gamma')
    assert len(dataset) == 1
    assert dataset.get_data_info(0)['key'] == 's/a'


def test_hash_bucket_matches_official_recipe():
    from hashlib import sha1
    expected = int(sha1(b'000047.png000047.png_').hexdigest(), 16) % 100
    assert hash_bucket('x/blur/000047.png', 'x/sharp/000047.png') == expected
    # Only the file names count, not the folders.
    assert hash_bucket('a/1.png', 'b/1.png') == hash_bucket('1.png', '1.png')


def test_hash_split_deterministic_and_90_10():
    names = [f'{i:06d}.png' for i in range(3000)]
    train = [n for n in names if in_split(n, n, 'train')]
    val = [n for n in names if in_split(n, n, 'val')]
    assert len(train) + len(val) == len(names)
    assert not set(train) & set(val)
    assert 0.87 < len(train) / len(names) < 0.93
    assert train == [n for n in names if in_split(n, n, 'train')]


def test_gopro_split_partitions_pairs(tmp_path):
    root = tmp_path / 'g'
    for i in range(60):
        write_png(root / 'seq' / 'blur' / f'{i:06d}.png', shape=(2, 2, 3))
        write_png(root / 'seq' / 'sharp' / f'{i:06d}.png', shape=(2, 2, 3))

    def keys(split):
        return {d['key'] for d in infos(GoProDataset(str(root), split=split))}

    everything, train, val = keys(None), keys('train'), keys('val')
    assert train | val == everything and not train & val
    assert val == {
        f'seq/{i:06d}'
        for i in range(60) if hash_bucket(f'{i:06d}.png', f'{i:06d}.png') >= 90
    }
    with pytest.raises(ValueError, match='split must be'):
        GoProDataset(str(root), split='test')


def test_gopro_missing_root_names_it_and_layout(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError) as e:
        GoProDataset(data_root=missing)
    assert missing in str(e.value)
    assert '<sequence>/<blur_dir>' in str(e.value)


def test_gopro_no_sequence_folder(tmp_path):
    write_png(tmp_path / 'flat' / 'a.png')
    with pytest.raises(FileNotFoundError, match="no sequence folder.*'blur'"):
        GoProDataset(data_root=str(tmp_path / 'flat'))


def test_gopro_missing_sharp_twins_named_and_counted(tmp_path):
    root = tmp_path / 'g'
    for i in range(8):
        write_png(root / 'seq' / 'blur' / f'{i}.png')
    write_png(root / 'seq' / 'sharp' / '0.png')
    with pytest.raises(FileNotFoundError) as e:
        GoProDataset(data_root=str(root))
    msg = str(e.value)
    assert '7 of 8 blurred images have no sharp twin' in msg
    assert osp.join(str(root), 'seq', 'sharp', '1.png') in msg
    assert '(and 2 more)' in msg


def test_gopro_empty_dataset(tmp_path):
    (tmp_path / 'g' / 'seq' / 'blur').mkdir(parents=True)
    with pytest.raises(ValueError, match='found no image pairs'):
        GoProDataset(data_root=str(tmp_path / 'g'))


def test_paired_folder_dataset(tmp_path):
    write_png(tmp_path / 'input' / 'a.png')
    write_png(tmp_path / 'input' / 'sub' / 'b.png')
    write_png(tmp_path / 'target' / 'a.png')
    write_png(tmp_path / 'target' / 'sub' / 'b.png')
    dataset = PairedFolderDataset(
        blur_root='input', sharp_root='target', data_root=str(tmp_path))
    assert [d['key'] for d in infos(dataset)] == ['a', 'sub/b']
    assert infos(dataset)[1]['gt_path'] == osp.join(
        str(tmp_path), 'target', 'sub', 'b.png')
    with pytest.raises(FileNotFoundError, match='sharp_root folder'):
        PairedFolderDataset(
            blur_root='input', sharp_root='nope', data_root=str(tmp_path))


def test_duplicate_keys_rejected(tmp_path):
    for ext in ('png', 'jpg'):
        write_png(tmp_path / 'b' / f'a.{ext}')
        write_png(tmp_path / 's' / f'a.{ext}')
    with pytest.raises(ValueError, match="share the key 'a'"):
        PairedFolderDataset(str(tmp_path / 'b'), str(tmp_path / 's'))


def write_list(path, lines):
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def test_paired_list_dataset_gt_blur(tmp_path):
    write_png(tmp_path / 'R' / 'scene1' / 'gt' / 'gt_1.png')
    write_png(tmp_path / 'R' / 'scene1' / 'blur' / 'blur_1.png')
    write_list(
        tmp_path / 'list.txt',
        ['# comment', '', 'R/scene1/gt/gt_1.png R/scene1/blur/blur_1.png'])
    dataset = PairedListDataset(ann_file='list.txt', data_root=str(tmp_path))
    (info, ) = infos(dataset)
    assert info['key'] == 'R/scene1/blur/blur_1'
    assert info['img_path'].endswith(osp.join('blur', 'blur_1.png'))
    assert info['gt_path'].endswith(osp.join('gt', 'gt_1.png'))

    write_list(tmp_path / 'rev.txt',
               ['R/scene1/blur/blur_1.png R/scene1/gt/gt_1.png'])
    (info_rev, ) = infos(
        PairedListDataset(
            'rev.txt', data_root=str(tmp_path), line_format='blur gt'))
    assert info_rev == info


def test_paired_list_bad_line_names_file_and_line(tmp_path):
    ann = write_list(tmp_path / 'list.txt', ['a.png b.png', 'only_one.png'])
    with pytest.raises(ValueError) as e:
        PairedListDataset(ann_file=ann)
    assert ann in str(e.value) and "line 2: 'only_one.png'" in str(e.value)
    with pytest.raises(ValueError, match='line_format'):
        PairedListDataset(ann_file=ann, line_format='blur,gt')


def test_paired_list_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='ann_file'):
        PairedListDataset(ann_file=str(tmp_path / 'none.txt'))
    write_png(tmp_path / 'gt.png')
    ann = write_list(tmp_path / 'list.txt', ['gt.png missing_blur.png'])
    with pytest.raises(FileNotFoundError, match='missing_blur.png'):
        PairedListDataset(ann_file=ann, data_root=str(tmp_path))


@pytest.fixture
def hide_root(tmp_path):
    root = tmp_path / 'HIDE'
    for sub, name in (('test-close-ups', '1fromA.png'), ('test-long-shot',
                                                         '2fromB.png')):
        write_png(root / 'test' / sub / name, 1)
        write_png(root / 'GT' / name, 2)
    write_png(root / 'GT' / '9fromTrain.png', 2)
    return root


def test_hide_scans_test_folder(hide_root):
    dataset = HIDEDataset(data_root=str(hide_root))
    assert [d['key'] for d in infos(dataset)
            ] == ['test-close-ups/1fromA', 'test-long-shot/2fromB']
    assert infos(dataset)[0]['gt_path'] == osp.join(
        str(hide_root), 'GT', '1fromA.png')


def test_hide_list_file_with_bare_and_relative_names(hide_root):
    write_list(hide_root / 'test.txt',
               ['2fromB.png', 'test-close-ups/1fromA.png'])
    dataset = HIDEDataset(data_root=str(hide_root), ann_file='test.txt')
    assert [d['key'] for d in infos(dataset)
            ] == ['test-long-shot/2fromB', 'test-close-ups/1fromA']
    write_list(hide_root / 'bad.txt', ['3fromC.png'])
    with pytest.raises(FileNotFoundError, match='3fromC.png'):
        HIDEDataset(data_root=str(hide_root), ann_file='bad.txt')


def test_hide_missing_gt_folder(tmp_path):
    write_png(tmp_path / 'HIDE' / 'test' / 'a.png')
    with pytest.raises(FileNotFoundError, match="gt_dir folder.*GT"):
        HIDEDataset(data_root=str(tmp_path / 'HIDE'))


def test_check_files_catches_truncation_and_size_mismatch(tmp_path):
    write_png(tmp_path / 'b' / 'a.png')
    write_png(tmp_path / 's' / 'a.png', shape=(40, 40, 3))
    # Without check_files only existence is checked.
    assert len(PairedFolderDataset(str(tmp_path / 'b'),
                                   str(tmp_path / 's'))) == 1
    with pytest.raises(OSError) as e:
        PairedFolderDataset(
            str(tmp_path / 'b'), str(tmp_path / 's'), check_files=True)
    assert '40x48' in str(e.value) and '40x40' in str(e.value)

    write_png(tmp_path / 's' / 'a.png')
    data = (tmp_path / 'b' / 'a.png').read_bytes()
    (tmp_path / 'b' / 'a.png').write_bytes(data[:len(data) // 2])
    with pytest.raises(OSError, match='truncated'):
        PairedFolderDataset(
            str(tmp_path / 'b'), str(tmp_path / 's'), check_files=True)
