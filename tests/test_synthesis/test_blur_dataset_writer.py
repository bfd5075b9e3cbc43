import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from deblurkit.synthesis import (ImageFolderSource, SynthesisError,
                                 list_complete_pairs, srgb_to_linear,
                                 write_blur_dataset)


def tree_bytes(root):
    files = sorted(glob.glob(osp.join(root, '*', '*', '*', '*.png')))
    return {osp.relpath(f, root): open(f, 'rb').read() for f in files}


def write(out, **kwargs):
    args = dict(num_train=10, num_test=6, size=(32, 40), seed=3,
                per_sequence=4, progress=False, workers=1)
    args.update(kwargs)
    return write_blur_dataset(str(out), **args)


def test_layout_counts_and_pairs(tmp_path):
    manifest = write(tmp_path / 'out')
    assert manifest['num_train'] == 10 and manifest['size'] == [32, 40]
    train = list_complete_pairs(str(tmp_path / 'out' / 'train'))
    test = list_complete_pairs(str(tmp_path / 'out' / 'test'))
    assert len(train) == 10 and len(test) == 6
    assert sorted(os.listdir(tmp_path / 'out' / 'train')) == [
        'seq_000', 'seq_001', 'seq_002'
    ]
    assert sorted(os.listdir(tmp_path / 'out' / 'train' / 'seq_002' /
                             'blur')) == ['000000.png', '000001.png']
    blur, sharp = train[0]
    assert cv2.imread(blur).shape == cv2.imread(sharp).shape == (32, 40, 3)
    assert osp.isfile(tmp_path / 'out' / 'synthesis.json')


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    write(tmp_path / 'a', num_train=14, num_test=2, workers=1)
    write(tmp_path / 'b', num_train=14, num_test=2, workers=2)
    write(tmp_path / 'c', num_train=14, num_test=2, seed=4)
    a, b, c = (tree_bytes(tmp_path / n) for n in 'abc')
    assert len(a) == 32 and a == b
    assert a.keys() == c.keys()
    assert all(a[k] != c[k] for k in a)


def test_pairs_are_blurred_copies_of_their_sharp_twin(tmp_path):
    write(tmp_path / 'out', settings=None)
    diffs = []
    for blur, sharp in list_complete_pairs(str(tmp_path / 'out' / 'train')):
        b = cv2.imread(blur).astype(np.float32) / 255
        s = cv2.imread(sharp).astype(np.float32) / 255
        # Same scene: the same light (blur preserves it, up to the mirrored
        # borders); but the blurred image differs, most pixels visibly.
        assert abs(srgb_to_linear(b).mean() - srgb_to_linear(s).mean()) < 0.03
        diffs.append(np.abs(b - s).mean())
    assert np.median(diffs) > 0.01


def test_leftover_temporary_file_is_not_a_pair(tmp_path):
    write(tmp_path / 'out', num_train=4, num_test=0)
    seq = tmp_path / 'out' / 'train' / 'seq_000'
    # What a run killed mid-write leaves: a temporary blurred file, and a
    # sharp image whose blurred twin was never renamed into place.
    (seq / 'blur' / '.000004.png.k2j4x9.tmp').write_bytes(b'\x89PNG half')
    (seq / 'sharp' / '000004.png').write_bytes(
        (seq / 'sharp' / '000000.png').read_bytes())
    pairs = list_complete_pairs(str(tmp_path / 'out' / 'train'))
    assert len(pairs) == 4
    names = {osp.basename(p) for pair in pairs for p in pair}
    assert names == {f'00000{i}.png' for i in range(4)}
    # The GoPro dataset's glob does not see the temporary file either.
    assert len(glob.glob(str(seq / 'blur' / '*.png'))) == 4


def test_refuses_non_empty_output_and_overwrite_starts_clean(tmp_path):
    out = tmp_path / 'out'
    write(out, num_train=8, num_test=0)
    with pytest.raises(SynthesisError, match=str(out)):
        write(out, num_train=4, num_test=0)
    stray = out / 'train' / 'seq_001' / 'blur' / '.000007.png.x1y2.tmp'
    stray.write_bytes(b'')
    (out / 'notes.txt').write_text('mine')
    with pytest.warns(UserWarning, match='notes.txt'):
        write(out, num_train=4, num_test=0, overwrite=True)
    assert sorted(os.listdir(out / 'train')) == ['seq_000']
    assert len(list_complete_pairs(str(out / 'train'))) == 4
    assert (out / 'notes.txt').read_text() == 'mine'


def make_photos(folder, sizes, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    for i, (h, w) in enumerate(sizes):
        img = cv2.GaussianBlur(
            (rng.random((h, w, 3)) * 255).astype(np.uint8), (0, 0), 2)
        sub = osp.join(folder, 'sub') if i % 2 else folder
        os.makedirs(sub, exist_ok=True)
        cv2.imwrite(osp.join(sub, f'photo{i}.jpg'), img)


def test_image_folder_source_crops_and_warns(tmp_path):
    photos = tmp_path / 'photos'
    make_photos(photos, [(80, 100), (120, 90), (20, 20)])
    (photos / 'broken.png').write_bytes(b'not an image')
    with pytest.warns(UserWarning) as record:
        source = ImageFolderSource(str(photos), (48, 64))
    messages = ' '.join(str(r.message) for r in record)
    assert 'broken.png' in messages and 'photo2.jpg' in messages
    assert len(source) == 2
    crops = [source(np.random.default_rng(s)) for s in range(4)]
    assert all(c.shape == (48, 64, 3) and c.dtype == np.float32
               for c in crops)
    a = source(np.random.default_rng(9))
    assert a.tobytes() == source(np.random.default_rng(9)).tobytes()


def test_image_folder_errors_name_the_folder_and_size(tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'readme.txt').write_text('no images')
    with pytest.raises(SynthesisError, match='no readable image'):
        ImageFolderSource(str(empty), (32, 32))
    small = tmp_path / 'small'
    make_photos(small, [(20, 30), (30, 20)])
    with pytest.raises(SynthesisError, match='32x32') as info:
        ImageFolderSource(str(small), (32, 32))
    assert str(small) in str(info.value)


def test_photo_dataset_holds_out_test_files(tmp_path):
    photos = tmp_path / 'photos'
    make_photos(photos, [(64, 64)] * 10)
    manifest = write(tmp_path / 'out', sharp_dir=str(photos),
                     size=(32, 32))
    assert manifest['sharp_dir'] == str(photos)
    assert len(list_complete_pairs(str(tmp_path / 'out' / 'test'))) == 6
