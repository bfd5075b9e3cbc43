"""LoadPairedImages and the file reading behind it."""
import cv2
import numpy as np
import pytest

from deblurkit.datasets.image_io import read_image_size
from deblurkit.datasets.transforms import LoadPairedImages


def write(path, img):
    assert cv2.imwrite(str(path), img)
    return str(path)


def load(img_path, gt_path=None, keys=('img', 'gt')):
    results = dict(img_path=img_path, gt_path=gt_path, key='k')
    return LoadPairedImages(keys=keys)(results)


def test_rgb_order_and_uint8_scaling(tmp_path):
    bgr = np.zeros((40, 48, 3), np.uint8)
    bgr[..., 0] = 255  # blue in OpenCV's order
    bgr[..., 2] = 51
    path = write(tmp_path / 'a.png', bgr)
    out = load(path, path)
    assert out['img'].dtype == np.float32 and out['img'].shape == (40, 48, 3)
    np.testing.assert_allclose(out['img'][0, 0], [0.2, 0., 1.])
    np.testing.assert_array_equal(out['img'], out['gt'])
    assert out['ori_shape'] == (40, 48)
    assert out['ori_channels'] == 3 and out['ori_dtype'] == 'uint8'


def test_16bit_values(tmp_path):
    img = np.zeros((40, 48, 3), np.uint16)
    img[..., 2] = 65535  # red
    img[..., 1] = 32768
    path = write(tmp_path / 'a.png', img)
    out = load(path, keys=('img', ))
    np.testing.assert_allclose(
        out['img'][5, 5], [1., 32768 / 65535, 0.], rtol=1e-6)
    assert out['ori_dtype'] == 'uint16'
    assert 'gt' not in out


def test_grayscale_replicated(tmp_path):
    gray = np.arange(40 * 48, dtype=np.uint8).reshape(40, 48)
    path = write(tmp_path / 'g.png', gray)
    out = load(path, keys=('img', ))
    assert out['img'].shape == (40, 48, 3) and out['ori_channels'] == 1
    for c in range(3):
        np.testing.assert_allclose(out['img'][..., c], gray / 255., atol=1e-7)


def test_alpha_dropped(tmp_path):
    bgra = np.zeros((40, 48, 4), np.uint8)
    bgra[..., 1] = 102
    bgra[..., 3] = 7
    out = load(write(tmp_path / 'a.png', bgra), keys=('img', ))
    assert out['img'].shape == (40, 48, 3) and out['ori_channels'] == 4
    np.testing.assert_allclose(out['img'][0, 0], [0, 0.4, 0], atol=1e-7)


def test_size_mismatch_names_both_files(tmp_path):
    a = write(tmp_path / 'blur.png', np.zeros((40, 48, 3), np.uint8))
    b = write(tmp_path / 'sharp.png', np.zeros((40, 40, 3), np.uint8))
    with pytest.raises(ValueError) as e:
        load(a, b)
    msg = str(e.value)
    assert a in msg and b in msg and '40x48' in msg and '40x40' in msg


@pytest.mark.parametrize('ext', ['png', 'jpg'])
def test_truncated_file_named(tmp_path, ext):
    path = write(
        tmp_path / f'a.{ext}',
        np.random.RandomState(0).randint(0, 255, (40, 48, 3), dtype=np.uint8))
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) - 20])
    with pytest.raises(OSError, match=f'a.{ext}'):
        load(path, keys=('img', ))


def test_unreadable_and_missing_files_named(tmp_path):
    junk = tmp_path / 'junk.png'
    junk.write_bytes(b'not an image at all')
    with pytest.raises(OSError, match='junk.png'):
        load(str(junk), keys=('img', ))
    with pytest.raises(OSError, match='missing.png'):
        load(str(tmp_path / 'missing.png'), keys=('img', ))
    good = write(tmp_path / 'good.png', np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(KeyError, match="'gt_path'"):
        load(good, None)


@pytest.mark.parametrize('ext', ['png', 'jpg', 'bmp'])
def test_header_size(tmp_path, ext):
    path = write(tmp_path / f'a.{ext}', np.zeros((40, 48, 3), np.uint8))
    assert tuple(read_image_size(path)) == (40, 48)


def test_repr():
    assert repr(LoadPairedImages()) == "LoadPairedImages(keys=['img', 'gt'])"
