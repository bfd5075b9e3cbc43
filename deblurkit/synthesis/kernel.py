"""Blur kernels (PSFs) rasterised from motion trajectories.

The kernel is the time the image spends at each offset during the exposure:
every sample of the trajectory spreads its share of the exposure over the
four pixels around it with bilinear weights (sub-pixel rasterisation, as in
Boracchi & Foi's PSF generator that DeblurGAN v1 used), and the result is
normalised to sum to one so that blurring preserves brightness.
"""
import numpy as np

from .trajectory import random_trajectory

__all__ = ['trajectory_to_kernel', 'random_blur_kernel']


def trajectory_to_kernel(points, size=None):
    """Rasterise a trajectory into a normalised blur kernel.

    The kernel's centre pixel ``(size // 2, size // 2)`` is offset
    ``(0, 0)``: a trajectory centred on its mean gives a kernel whose
    centroid is the centre, so the blurred image is not shifted on average.

    Args:
        points (np.ndarray): ``(N, 2)`` ``(x, y)`` offsets in pixels, one
            per equally long instant of the exposure.
        size (int | None): Odd side of the square kernel. None picks the
            smallest odd size holding every offset with a one-pixel margin.

    Returns:
        np.ndarray: ``(size, size)`` float32 kernel, non-negative, sum 1.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    reach = int(np.ceil(np.abs(points).max(initial=0.0))) + 1
    if size is None:
        size = 2 * reach + 1
    if size % 2 == 0 or size < 2 * reach + 1:
        raise ValueError(f'trajectory_to_kernel: size must be odd and at '
                         f'least {2 * reach + 1} for this trajectory, got '
                         f'{size}.')
    pos = points + size // 2
    base = np.floor(pos).astype(np.int64)
    frac = pos - base
    kernel = np.zeros((size, size), dtype=np.float64)
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        weight = (frac[:, 0] if dx else 1 - frac[:, 0]) * (
            frac[:, 1] if dy else 1 - frac[:, 1])
        np.add.at(kernel, (base[:, 1] + dy, base[:, 0] + dx), weight)
    return (kernel / kernel.sum()).astype(np.float32)


def random_blur_kernel(rng, length=None, min_length=0.0, max_length=25.0,
                       **trajectory_kwargs):
    """A random camera-shake kernel (DeblurGAN v1's recipe).

    Args:
        rng (np.random.Generator): Source of randomness.
        length (float | None): Path length in pixels, None to draw it from
            ``[min_length, max_length]``.
        min_length (float): See ``length``. Defaults to 0.
        max_length (float): See ``length``. Defaults to 25.
        **trajectory_kwargs: More arguments of
            :func:`~deblurkit.synthesis.trajectory.random_trajectory`
            (``speed_variation``, ...).

    Returns:
        np.ndarray: Square, odd-sized float32 kernel, non-negative, sum 1.
    """
    # Dense sampling (0.1 px apart) so the rasterised path has no gaps.
    trajectory_kwargs.setdefault('point_spacing', 0.1)
    trajectory_kwargs.setdefault('min_points', 16)
    trajectory_kwargs.setdefault('max_points', 1024)
    trajectory = random_trajectory(
        rng,
        length=length,
        min_length=min_length,
        max_length=max_length,
        **trajectory_kwargs)
    return trajectory_to_kernel(trajectory.points)
