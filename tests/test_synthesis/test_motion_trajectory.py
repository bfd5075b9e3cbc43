import numpy as np
import pytest

from deblurkit.synthesis import (MotionTrajectory, random_blur_kernel,
                                 random_motion_path, random_trajectory,
                                 sample_blur_length, trajectory_to_kernel)


def kernel_centroid(kernel):
    ys, xs = np.mgrid[0:kernel.shape[0], 0:kernel.shape[1]]
    c = kernel.shape[0] // 2
    return (xs * kernel).sum() - c, (ys * kernel).sum() - c


@pytest.mark.parametrize('seed', range(6))
def test_random_kernels_are_normalised_and_centred(seed):
    kernel = random_blur_kernel(np.random.default_rng(seed), max_length=25)
    assert kernel.dtype == np.float32
    assert kernel.shape[0] == kernel.shape[1] and kernel.shape[0] % 2 == 1
    assert kernel.min() >= 0
    assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
    cx, cy = kernel_centroid(kernel)
    assert abs(cx) < 0.05 and abs(cy) < 0.05


def test_zero_length_gives_a_delta_kernel():
    kernel = random_blur_kernel(np.random.default_rng(0), length=0.0)
    expected = np.zeros((3, 3), np.float32)
    expected[1, 1] = 1
    np.testing.assert_allclose(kernel, expected, atol=1e-7)


def test_straight_path_kernel_is_a_line_of_the_right_length():
    points = random_motion_path(
        np.random.default_rng(0), 10.0, jitter=0.0)
    assert np.linalg.norm(points[-1] - points[0]) == pytest.approx(10.0)
    kernel = trajectory_to_kernel(points - points.mean(axis=0))
    # Variance of a uniform segment of length L along it: L**2 / 12 (a
    # little more for 256 discrete points), plus about 1/6 from the
    # bilinear splatting.
    ys, xs = np.mgrid[0:kernel.shape[0], 0:kernel.shape[1]]
    cov = np.cov(
        np.stack([xs.ravel(), ys.ravel()]),
        aweights=kernel.ravel(),
        bias=True)
    major, minor = np.linalg.eigvalsh(cov)[::-1]
    assert 100 / 12 <= major <= 100 / 12 * 1.01 + 1 / 6
    assert minor <= 1 / 6 + 1e-6


def test_trajectory_has_requested_length_and_is_centred():
    rng = np.random.default_rng(1)
    for length in (3.0, 12.0, 25.0):
        traj = random_trajectory(rng, length=length, point_spacing=0.1,
                                 max_points=1000)
        # Resampling cuts the corners of a jittery path a little.
        assert traj.length == pytest.approx(length, rel=0.1)
        np.testing.assert_allclose(traj.points.mean(axis=0), 0, atol=1e-9)
        np.testing.assert_allclose(traj.angles, 0)


def test_frame_count_follows_length_and_rotation_needs_size():
    rng = np.random.default_rng(2)
    assert len(random_trajectory(rng, length=0.5)) == 7
    assert len(random_trajectory(rng, length=20.0)) == 21
    traj = random_trajectory(rng, length=5.0, image_size=(100, 100),
                             max_rotation_px=4.0)
    corner = 0.5 * np.hypot(100, 100)
    assert np.ptp(traj.angles) * corner <= 4.0 + 1e-9
    with pytest.raises(ValueError, match='image_size'):
        random_trajectory(rng, max_rotation_px=1.0)


def test_paths_range_from_straight_to_curled():
    rng = np.random.default_rng(3)
    straightness = []
    for _ in range(60):
        path = random_motion_path(rng, 20.0)
        straightness.append(np.linalg.norm(path[-1] - path[0]) / 20.0)
    straightness = np.array(straightness)
    assert (straightness > 0.95).mean() > 0.1
    assert (straightness < 0.5).mean() > 0.1


def test_lengths_cover_the_range_with_some_nearly_still():
    rng = np.random.default_rng(4)
    lengths = np.array([sample_blur_length(rng, 0, 25) for _ in range(500)])
    assert lengths.min() >= 0 and lengths.max() <= 25
    assert 0.05 < (lengths < 1.5).mean() < 0.2
    assert (lengths > 20).mean() > 0.1


def test_same_seed_same_kernel():
    a = random_blur_kernel(np.random.default_rng(5))
    b = random_blur_kernel(np.random.default_rng(5))
    c = random_blur_kernel(np.random.default_rng(6))
    assert a.tobytes() == b.tobytes()
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='points'):
        MotionTrajectory(np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match='size'):
        trajectory_to_kernel(np.array([[5.0, 0.0]]), size=5)
    with pytest.raises(ValueError, match='max_length'):
        sample_blur_length(np.random.default_rng(0), 5, 2)
