"""RandomCorrupt: each corruption changes the blurred image only."""
import numpy as np
import pytest

from deblurkit.datasets.transforms import (CORRUPTIONS, DEFAULT_CORRUPTIONS,
                                           RandomCorrupt)


def sample():
    rng = np.random.RandomState(0)
    img = rng.uniform(0.2, 0.8, (40, 48, 3)).astype(np.float32)
    return dict(img=img, gt=img.copy())


# Parameters that make each corruption certain to change a textured image.
STRONG = dict(
    cutout=dict(num_holes=3, max_h_size=10, max_w_size=10),
    jpeg=dict(quality_lower=70, quality_upper=90),
    gaussian_noise=dict(),
    motion_blur=dict(),
    median_blur=dict(),
    gamma=dict(gamma_limit=(60, 70)),
    rgb_shift=dict(),
    hsv_shift=dict(),
    sharpen=dict())


@pytest.mark.parametrize('name', list(CORRUPTIONS))
def test_changes_img_only(name):
    results = sample()
    gt_before = results['gt'].copy()
    img_before = results['img'].copy()
    np.random.seed(0)
    out = RandomCorrupt(
        corruptions=[dict(name=name, **STRONG[name])], prob=1.)(
            results)
    assert out['img'].shape == (40, 48, 3) and out['img'].dtype == np.float32
    assert 0 <= out['img'].min() and out['img'].max() <= 1
    assert not np.allclose(out['img'], img_before, atol=1e-3)
    np.testing.assert_array_equal(out['gt'], gt_before)


def test_known_values():
    img = np.full((20, 20, 3), 0.25, np.float32)
    np.random.seed(0)
    out = RandomCorrupt([dict(name='gamma', gamma_limit=(50, 50))], prob=1.)(
        dict(img=img.copy()))
    np.testing.assert_allclose(out['img'], 0.5, rtol=1e-6)
    out = RandomCorrupt(
        [dict(name='cutout', num_holes=1, max_h_size=40, max_w_size=40)],
        prob=1.)(
            dict(img=img.copy()))
    assert np.all(out['img'] == 0)  # a hole larger than the image
    # Smoothing filters keep a flat image flat.
    for name in ('motion_blur', 'median_blur', 'sharpen'):
        out = RandomCorrupt(
            [dict(name=name, lightness=(1., 1.))]
            if name == 'sharpen' else [dict(name=name)],
            prob=1.)(
                dict(img=img.copy()))
        np.testing.assert_allclose(out['img'], 0.25, atol=1e-6)


def test_prob_and_weights():
    results = sample()
    out = RandomCorrupt(prob=0.)(dict(img=results['img']))
    assert out['img'] is results['img']
    # A weight of 0 is never chosen.
    np.random.seed(0)
    corrupt = RandomCorrupt([
        dict(name='gamma', prob=0., gamma_limit=(50, 50)),
        dict(name='rgb_shift', prob=1.)
    ],
                            prob=1.)
    for _ in range(20):
        img = np.full((8, 8, 3), 0.25, np.float32)
        out = corrupt(dict(img=img))['img']
        assert not np.allclose(out, 0.5)
    # The default list corrupts about half of the samples.
    np.random.seed(1)
    corrupt = RandomCorrupt()
    changed = sum(
        not np.array_equal(corrupt(sample())['img'],
                           sample()['img']) for _ in range(200))
    assert 75 < changed < 125


def test_bad_config_named():
    with pytest.raises(ValueError, match="unknown corruption 'snow'"):
        RandomCorrupt([dict(name='snow')])
    with pytest.raises(TypeError, match="bad parameters for 'jpeg'"):
        RandomCorrupt([dict(name='jpeg', quality=80)])


def test_repr_lists_args():
    text = repr(RandomCorrupt([dict(name='jpeg', quality_lower=70)], prob=0.3))
    assert text == ("RandomCorrupt(corruptions=[{'name': 'jpeg', "
                    "'quality_lower': 70}], keys=['img'], prob=0.3)")
    assert 'sharpen' in repr(RandomCorrupt())
    assert len(DEFAULT_CORRUPTIONS) == 8
