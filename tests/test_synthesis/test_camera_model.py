"""The demo's camera model: surface grain, leaf sizes, a rotation about a
random point, noise in linear light and a random tone curve."""
import cv2
import numpy as np
import pytest

from deblurkit.synthesis import (BlurSettings, dead_leaves_image,
                                 synthesize_pair)

STILL = dict(blur='gopro', min_length=0.0, max_length=0.0, noise=0.0)


def flat_share(img):
    """Share of pixels whose 3x3 neighbourhood is constant to 1/1000."""
    gray = img.mean(axis=2)
    spread = cv2.dilate(gray, np.ones(
        (3, 3))) - cv2.erode(gray, np.ones((3, 3)))
    return float((spread < 1e-3).mean())


def test_surface_grain_leaves_few_perfectly_flat_pixels():
    plain = [
        flat_share(
            dead_leaves_image((96, 96),
                              np.random.default_rng(s),
                              surface_prob=0.0)) for s in range(3)
    ]
    grain = [
        flat_share(
            dead_leaves_image((96, 96),
                              np.random.default_rng(s),
                              surface_prob=1.0)) for s in range(3)
    ]
    assert np.mean(plain) > 0.05
    assert np.mean(grain) < 0.3 * np.mean(plain)


def test_lower_power_gives_larger_regions():

    def detail(power):
        imgs = [
            dead_leaves_image((96, 96), np.random.default_rng(s), power=power)
            for s in range(4)
        ]
        return np.mean([np.abs(np.diff(i, axis=1)).mean() for i in imgs])

    # (low, high) draws per image; a degenerate range is that power.
    assert detail((2.1, 2.1)) < 0.7 * detail((3.2, 3.2))
    a = dead_leaves_image((32, 32), np.random.default_rng(0), power=(2.2, 2.9))
    b = dead_leaves_image((32, 32), np.random.default_rng(0), power=[2.2, 2.9])
    np.testing.assert_array_equal(a, b)


def quadrant_change(blurred, sharp):
    diff = np.abs(blurred - sharp).mean(axis=2)
    h, w = diff.shape
    return np.array([
        diff[:h // 2, :w // 2].mean(), diff[:h // 2, w // 2:].mean(),
        diff[h // 2:, :w // 2].mean(), diff[h // 2:, w // 2:].mean()
    ])


@pytest.mark.parametrize('random_centre', [False, True])
def test_rotation_about_a_random_point_varies_the_blur_over_the_image(
        random_centre):
    rng = np.random.default_rng(3)
    sharp = np.repeat(rng.random((64, 64, 1), dtype=np.float32), 3, axis=2)
    sharp = cv2.GaussianBlur(sharp, (0, 0), 0.8)
    settings = BlurSettings(**STILL,
                            max_rotation_px=10.0,
                            random_centre=random_centre)
    blurred, _ = synthesize_pair(sharp, np.random.default_rng(5), settings)
    change = quadrant_change(blurred, sharp)
    # About the centre the four quadrants move alike; about another point
    # the far quadrants move more than the near ones.
    if random_centre:
        assert change.max() > 1.5 * change.min()
    else:
        assert change.max() < 1.2 * change.min()


def noise_std(settings, level):
    img = np.full((64, 64, 3), level, np.float32)
    stds = []
    for seed in range(6):
        noisy, _ = synthesize_pair(img, np.random.default_rng(seed), settings)
        stds.append(noisy.std())
    return np.mean(stds)


def test_linear_noise_is_strongest_in_the_shadows():
    for linear in (False, True):
        settings = BlurSettings(blur='kernel',
                                min_length=0.0,
                                max_length=0.0,
                                noise=8.0,
                                noise_prob=1.0,
                                linear_noise=linear)
        ratio = noise_std(settings, 0.1) / noise_std(settings, 0.8)
        # sRGB-domain noise grows with brightness (shot noise); noise on the
        # raw signal is lifted in the shadows by the sRGB curve.
        if linear:
            assert ratio > 2.0
        else:
            assert ratio < 1.1


def test_tone_curve_changes_both_images_alike():
    sharp = dead_leaves_image((48, 48), np.random.default_rng(0))
    blurred, same = synthesize_pair(sharp, np.random.default_rng(1),
                                    BlurSettings(**STILL, max_rotation_px=0.0))
    np.testing.assert_array_equal(same, sharp)
    changes = []
    for seed in range(4):
        blurred, toned = synthesize_pair(
            sharp, np.random.default_rng(seed),
            BlurSettings(**STILL, max_rotation_px=0.0, tone=0.3))
        # No motion, no noise: the input is the toned target.
        assert np.abs(blurred - toned).max() < 2e-3
        changes.append(toned.mean() - sharp.mean())
    assert max(np.abs(changes)) > 0.01
    with pytest.raises(ValueError, match='tone'):
        BlurSettings(tone=-1)


def test_lens_softness_changes_both_images_alike_in_linear_light():
    sharp = dead_leaves_image((48, 48), np.random.default_rng(0))
    settings = BlurSettings(**STILL, max_rotation_px=0.0, lens_sigma=1.5)
    assert settings.changes_sharp and not BlurSettings().changes_sharp
    blurred, soft = synthesize_pair(sharp, np.random.default_rng(3), settings)
    # No motion, no noise: the input is the softened target.
    assert np.abs(blurred - soft).max() < 2e-3

    def detail(img):
        return float(np.abs(np.diff(img, axis=1)).mean())

    # The sigma is drawn per pair from [0, lens_sigma]: the amount varies
    # from nearly nothing to a clear softening.
    details = [
        detail(
            synthesize_pair(sharp, np.random.default_rng(seed),
                            settings)[1]) for seed in range(8)
    ]
    assert min(details) < 0.7 * detail(sharp)
    assert max(details) > 0.9 * detail(sharp)


def test_soften_by_lens_blurs_light_not_srgb_values():
    from deblurkit.synthesis import (linear_to_srgb, soften_by_lens,
                                     srgb_to_linear)
    # A black | white edge: in linear light the softened edge's middle is
    # half the white's light, i.e. sRGB 0.735, not 0.5.
    edge = np.zeros((9, 40, 3), np.float32)
    edge[:, 20:] = 1.0
    soft = soften_by_lens(edge, 2.0)
    middle = (soft[4, 19] + soft[4, 20]) / 2
    np.testing.assert_allclose(srgb_to_linear(middle), 0.5, atol=0.03)
    assert soft[4, 19, 0] > 0.45  # an sRGB average would be about 0.37
    np.testing.assert_array_equal(soften_by_lens(edge, 0.0), edge)
    flat = np.full((16, 16, 3), 0.3, np.float32)
    np.testing.assert_allclose(soften_by_lens(flat, 1.0), flat, atol=1e-5)
    assert linear_to_srgb(np.float32(0.5)) > 0.7
    with pytest.raises(ValueError, match='lens_sigma'):
        BlurSettings(lens_sigma=-0.5)
