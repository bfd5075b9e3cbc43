"""Paired geometric augmentation, padding and cropping."""
import numpy as np
import pytest

from deblurkit.datasets.transforms import (GEOMETRIC_OPS, PairedCenterCrop,
                                           PairedGeometricAugment,
                                           PairedPadIfNeeded, PairedRandomCrop)


def textured(h=40, w=48, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(h, w, 3).astype(np.float32)


@pytest.mark.parametrize('op', list(GEOMETRIC_OPS))
def test_one_draw_for_both_images(op):
    img = textured()
    np.random.seed(1)
    out = PairedGeometricAugment(
        ops=[op], prob=1.)(
            dict(img=img.copy(), gt=img.copy()))
    np.testing.assert_array_equal(out['img'], out['gt'])
    assert out['img'].dtype == np.float32
    if op == 'transpose':
        assert out['img'].shape == (48, 40, 3)
        np.testing.assert_array_equal(out['img'], img.transpose(1, 0, 2))
    else:
        assert out['img'].shape == (40, 48, 3)
    if op == 'hflip':
        np.testing.assert_array_equal(out['img'], img[:, ::-1])
    # Every op moves pixels (elastic's affine jitter is up to 50 px).
    if op != 'transpose':
        assert not np.allclose(out['img'], img)


def test_same_draw_with_different_contents():
    # A shift-scale-rotate of img and of 2*img must differ by exactly 2x,
    # which only holds if both got the same warp.
    img = textured()
    np.random.seed(3)
    out = PairedGeometricAugment(
        ops=['shift_scale_rotate'], prob=1.)(
            dict(img=img.copy(), gt=2 * img))
    np.testing.assert_allclose(out['gt'], 2 * out['img'], rtol=1e-5, atol=1e-6)


def test_prob_zero_is_identity_and_args_checked():
    img = textured()
    out = PairedGeometricAugment(prob=0.)(dict(img=img, gt=img))
    assert out['img'] is img
    with pytest.raises(ValueError, match='unknown ops'):
        PairedGeometricAugment(ops=['rotate90'])
    with pytest.raises(ValueError, match='differ in size'):
        PairedGeometricAugment(prob=1.)(dict(img=img, gt=img[:20]))


def test_pad_if_needed_reflects_centered():
    img = textured(10, 12)
    out = PairedPadIfNeeded(16)(dict(img=img, gt=img.copy()))
    assert out['img'].shape == (16, 16, 3)
    np.testing.assert_array_equal(out['img'], out['gt'])
    # 6 rows: 3 on top, 3 below; 4 columns: 2 each side.
    np.testing.assert_array_equal(out['img'][3:13, 2:14], img)
    np.testing.assert_array_equal(out['img'][2, 2:14], img[1])  # reflect_101
    big = textured(20, 20)
    assert PairedPadIfNeeded(16)(dict(img=big, gt=big))['img'] is big


def test_pad_constant_and_repr():
    img = textured(10, 10)
    out = PairedPadIfNeeded((12, 14), border_mode='constant', value=0.5)(
        dict(img=img, gt=img))
    assert out['img'].shape == (12, 14, 3)
    assert np.all(out['img'][0] == 0.5)
    assert repr(PairedPadIfNeeded(256)) == (
        "PairedPadIfNeeded(size=(256, 256), keys=['img', 'gt'], "
        "border_mode='reflect_101', value=0.0)")


def test_random_crop_same_window():
    img = textured()
    np.random.seed(0)
    out = PairedRandomCrop((16, 20))(dict(img=img, gt=img + 1))
    assert out['img'].shape == (16, 20, 3)
    np.testing.assert_array_equal(out['gt'], out['img'] + 1)
    # The crop is a window of the input.
    hits = [(y, x) for y in range(25) for x in range(29)
            if np.array_equal(img[y:y + 16, x:x + 20], out['img'])]
    assert len(hits) == 1


def test_random_crop_too_small_names_file():
    img = textured(10, 10)
    with pytest.raises(ValueError) as e:
        PairedRandomCrop(16)(dict(img=img, gt=img, img_path='dir/x.png'))
    assert 'dir/x.png' in str(e.value) and '10x10' in str(e.value)
    assert 'PairedPadIfNeeded' in str(e.value)


def test_center_crop():
    img = textured()
    out = PairedCenterCrop(16)(dict(img=img, gt=img.copy()))
    np.testing.assert_array_equal(out['img'], img[12:28, 16:32])
    np.testing.assert_array_equal(out['gt'], out['img'])
    assert repr(PairedCenterCrop(
        8, keys=['img'])) == ("PairedCenterCrop(size=(8, 8), keys=['img'])")


def test_geometric_repr():
    assert repr(PairedGeometricAugment(ops=['hflip'], prob=0.3)) == (
        "PairedGeometricAugment(keys=['img', 'gt'], ops=['hflip'], prob=0.3)")
