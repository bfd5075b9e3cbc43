import cv2
import numpy as np
import pytest

from deblurkit.registry import TRANSFORMS
from deblurkit.synthesis import SynthesizeMotionBlur, dead_leaves_image


@pytest.fixture(scope='module')
def sharp():
    return dead_leaves_image((64, 80), np.random.default_rng(0))


def laplacian_energy(img):
    img = img.astype(np.float32)
    return np.abs(cv2.Laplacian(img.mean(axis=2), cv2.CV_32F)).mean()


def test_built_from_the_registry_and_blurs(sharp):
    transform = TRANSFORMS.build(
        dict(type='SynthesizeMotionBlur', min_length=10, seed=0))
    results = transform(dict(gt=sharp.copy()))
    img = results['img']
    assert img.shape == sharp.shape and img.dtype == np.float32
    np.testing.assert_array_equal(results['gt'], sharp)
    assert laplacian_energy(img) < 0.6 * laplacian_energy(sharp)


def test_seed_makes_the_sequence_reproducible(sharp):
    a = SynthesizeMotionBlur(seed=3)
    b = SynthesizeMotionBlur(seed=3)
    first = [a(dict(gt=sharp))['img'] for _ in range(3)]
    second = [b(dict(gt=sharp))['img'] for _ in range(3)]
    for x, y in zip(first, second):
        assert x.tobytes() == y.tobytes()
    # Random per call: the draws differ.
    assert not np.array_equal(first[0], first[1])


def test_uint8_and_bgr_inputs(sharp):
    gt = np.round(sharp * 255).astype(np.uint8)
    rgb = SynthesizeMotionBlur(seed=1, noise=0)(dict(gt=gt))['img']
    bgr = SynthesizeMotionBlur(seed=1, noise=0, channel_order='bgr')(
        dict(gt=np.ascontiguousarray(gt[..., ::-1])))['img']
    assert rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb, bgr[..., ::-1])


def test_errors_and_repr():
    transform = SynthesizeMotionBlur(blur='kernel', max_length=9, seed=2)
    text = repr(transform)
    assert "blur='kernel'" in text and 'max_length=9' in text
    assert 'seed=2' in text
    with pytest.raises(KeyError, match="'gt'"):
        transform(dict(img=np.zeros((8, 8, 3), np.float32)))
    with pytest.raises(ValueError, match='blur'):
        SynthesizeMotionBlur(blur='gaussian')
    with pytest.raises(TypeError, match='max_len'):
        SynthesizeMotionBlur(max_len=3)


def test_lens_softness_replaces_the_target(sharp):
    results = SynthesizeMotionBlur(seed=0, lens_sigma=2.0, min_length=5)(
        dict(gt=sharp.copy()))
    # the target is the softened scene: less detail than the input, more
    # than the motion-blurred image
    gt, img = results['gt'], results['img']
    assert gt.shape == sharp.shape and gt.dtype == np.float32
    assert laplacian_energy(img) < laplacian_energy(gt) < \
        laplacian_energy(sharp)
