import cv2
import numpy as np
import pytest

from deblurkit.synthesis import (BlurSettings, MotionTrajectory,
                                 add_sensor_noise, blur_by_frame_averaging,
                                 blur_with_kernel, dead_leaves_image,
                                 jpeg_compress, linear_to_srgb,
                                 random_blur_kernel, random_trajectory,
                                 srgb_to_linear, synthesize_pair,
                                 trajectory_to_kernel)


@pytest.fixture(scope='module')
def sharp():
    return dead_leaves_image((96, 96), np.random.default_rng(0))


def mean_abs_laplacian(img):
    return np.abs(cv2.Laplacian(img.mean(axis=2), cv2.CV_32F)).mean()


def test_srgb_round_trip_and_known_values():
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(x)), x,
                               atol=1e-5)
    # Mid-grey sRGB 0.5 is 21.4% of the light.
    assert srgb_to_linear(np.float32(0.5)) == pytest.approx(0.2140, abs=1e-4)


def test_still_camera_and_delta_kernel_return_the_sharp_image(sharp):
    still = blur_by_frame_averaging(sharp, MotionTrajectory.still(9))
    delta = blur_with_kernel(sharp, trajectory_to_kernel(np.zeros((1, 2))))
    assert np.abs(still - sharp).max() < 1 / 255
    assert np.abs(delta - sharp).max() < 1 / 255


@pytest.mark.parametrize('model', ['gopro', 'kernel'])
def test_blur_removes_high_frequencies(sharp, model):
    rng = np.random.default_rng(1)
    if model == 'gopro':
        blurred = blur_by_frame_averaging(
            sharp, random_trajectory(rng, length=12.0))
    else:
        blurred = blur_with_kernel(sharp,
                                   random_blur_kernel(rng, length=12.0))
    assert blurred.shape == sharp.shape and blurred.dtype == np.float32
    ratio = mean_abs_laplacian(blurred) / mean_abs_laplacian(sharp)
    assert ratio < 0.4
    # Brightness is preserved (in linear light, where the blur happens).
    assert srgb_to_linear(blurred).mean() == pytest.approx(
        srgb_to_linear(sharp).mean(), rel=0.02)


def test_longer_blur_blurs_more(sharp):
    rng = np.random.default_rng(2)
    energy = [
        mean_abs_laplacian(
            blur_with_kernel(sharp, random_blur_kernel(rng, length=length,
                                                       jitter=0.0)))
        for length in (2.0, 8.0, 20.0)
    ]
    assert energy[0] > 1.5 * energy[1] > 1.5 * 1.2 * energy[2]


def test_frame_averaging_equals_kernel_for_a_translation(sharp):
    rng = np.random.default_rng(3)
    traj = random_trajectory(rng, length=9.0, max_points=200)
    by_frames = blur_by_frame_averaging(sharp, traj)
    by_kernel = blur_with_kernel(sharp, trajectory_to_kernel(traj.points))
    inner = (slice(12, -12), slice(12, -12))
    assert np.abs(by_frames[inner] - by_kernel[inner]).max() < 1e-4


def test_blur_happens_in_linear_light():
    # Half black, half white; a horizontal 9-tap box blur. Averaging light
    # gives sRGB 0.735 at the edge, averaging sRGB values would give 0.5.
    edge = np.zeros((9, 40, 3), np.float32)
    edge[:, 20:] = 1.0
    kernel = np.zeros((9, 9), np.float32)
    kernel[4, :] = 1.0
    blurred = blur_with_kernel(edge, kernel)
    # Pixel 20 sees 4 black and 5 white samples.
    assert blurred[4, 20, 0] == pytest.approx(
        float(linear_to_srgb(np.float32(5 / 9))), abs=1e-4)


def test_rotation_blurs_corners_more_than_the_centre():
    img = dead_leaves_image((128, 128), np.random.default_rng(4))
    angles = np.linspace(-0.05, 0.05, 15)
    traj = MotionTrajectory(np.zeros((15, 2)), angles)
    blurred = blur_by_frame_averaging(img, traj)
    change = np.abs(blurred - img).mean(axis=2)
    assert change[:24, :24].mean() > 3 * change[56:72, 56:72].mean()


def test_sensor_noise_has_the_requested_strength():
    flat = np.full((200, 200, 3), 0.5, np.float32)
    rng = np.random.default_rng(5)
    read = add_sensor_noise(flat, rng, read_sigma=0.02)
    shot = add_sensor_noise(flat, rng, shot_sigma=0.02)
    assert read.std() == pytest.approx(0.02, rel=0.05)
    assert shot.std() == pytest.approx(0.02, rel=0.05)
    # Shot noise grows with the signal.
    dark = add_sensor_noise(np.full_like(flat, 0.05), rng, shot_sigma=0.02)
    assert dark.std() < 0.5 * shot.std()


def test_jpeg_round_trip_is_close_but_lossy(sharp):
    out = jpeg_compress(sharp, 50)
    assert out.shape == sharp.shape and out.dtype == np.float32
    error = np.abs(out - sharp).mean()
    assert 0.002 < error < 0.05
    with pytest.raises(ValueError, match='quality'):
        jpeg_compress(sharp, 0)


def test_synthesize_pair_is_deterministic_and_returns_the_sharp(sharp):
    settings = BlurSettings(jpeg_quality=60, noise=3.0)
    a = synthesize_pair(sharp, np.random.default_rng(6), settings)
    b = synthesize_pair(sharp, np.random.default_rng(6), settings)
    c = synthesize_pair(sharp, np.random.default_rng(7), settings)
    assert a[0].tobytes() == b[0].tobytes()
    assert not np.array_equal(a[0], c[0])
    np.testing.assert_array_equal(a[1], sharp)


def test_still_prob_sets_the_share_of_nearly_sharp_pairs(sharp):
    def residual(settings, seed):
        blurred, target = synthesize_pair(sharp, np.random.default_rng(seed),
                                          settings)
        return np.abs(blurred - target).mean()

    # Paths of 1.5 to 25 px, or under 1.5 px for the still share (no
    # rotation, which would move the corners of a still path).
    always = BlurSettings(min_length=0, max_length=25, noise=0,
                          max_rotation_px=0,
                          still_prob=1.0)
    never = BlurSettings(min_length=0, max_length=25, noise=0,
                         max_rotation_px=0,
                         still_prob=0.0)
    still = [residual(always, seed) for seed in range(12)]
    moving = [residual(never, seed) for seed in range(12)]
    # Same seeds, so the same path shapes, only shorter.
    assert all(a < b / 3 for a, b in zip(still, moving))
    assert max(still) < 0.02 < min(moving)
    # The default keeps one in ten, and the draws of the other settings
    # are unchanged by the option (same generator stream).
    assert BlurSettings().still_prob == 0.1
    from deblurkit.synthesis import sample_blur_length
    rng = np.random.default_rng(0)
    lengths = np.array(
        [sample_blur_length(rng, 0, 10, still_prob=0.3) for _ in range(4000)])
    assert abs((lengths < 1.5).mean() - 0.3) < 0.03


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match='blur'):
        BlurSettings(blur='box')
    with pytest.raises(ValueError, match='max_length'):
        BlurSettings(min_length=5, max_length=1)
    with pytest.raises(ValueError, match='jpeg_quality'):
        BlurSettings(jpeg_quality=100)
    with pytest.raises(ValueError, match='still_prob'):
        BlurSettings(still_prob=-0.1)
    with pytest.raises(ValueError, match='sharp'):
        synthesize_pair(np.zeros(5), np.random.default_rng(0))
