"""Random camera-shake trajectories (Boracchi & Foi, 2012).

A trajectory is the path the image moves along during one exposure. The
path model is the one of Boracchi & Foi, "Modeling the Performance of Image
Restoration from Motion Blur" (IEEE TIP 2012), which DeblurGAN (v1) used to
make its blur kernels: a particle moves at constant speed; at every step
its velocity gets a Gaussian kick, a pull back toward where it started
(the hand correcting the shake) and, rarely, an abrupt near-reversal (the
finger pressing the button). Few kicks give nearly straight paths, many
give jittery, curled ones.

:func:`random_trajectory` samples that path at the instants of the
exposure, optionally with a non-uniform speed (the camera slowing down or
speeding up) and a small in-plane rotation, and centres it so that the
sharp image sits at the time-averaged position of the blurred one.
"""
from dataclasses import dataclass

import numpy as np

__all__ = [
    'MotionTrajectory', 'random_motion_path', 'random_trajectory',
    'sample_blur_length'
]

# Steps of the underlying random walk; fine enough that resampling it at
# any number of instants stays smooth (about 0.1 px a step at 25 px).
_PATH_STEPS = 256


@dataclass(frozen=True)
class MotionTrajectory:
    """The motion of the image during one exposure.

    Attributes:
        points (np.ndarray): ``(N, 2)`` float64, the ``(x, y)`` shift in
            pixels of the image at ``N`` equally spaced instants of the
            exposure. :func:`random_trajectory` centres them on their mean.
        angles (np.ndarray): ``(N,)`` float64, the in-plane rotation in
            radians about the image centre at the same instants (zeros for
            a pure translation).
    """

    points: np.ndarray
    angles: np.ndarray

    def __post_init__(self):
        points = np.asarray(self.points, dtype=np.float64)
        angles = np.asarray(self.angles, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise ValueError('MotionTrajectory.points must have shape (N, 2) '
                             f'with N >= 1, got {points.shape}.')
        if angles.shape != (len(points), ):
            raise ValueError(f'MotionTrajectory.angles must have shape '
                             f'({len(points)},), got {angles.shape}.')
        object.__setattr__(self, 'points', points)
        object.__setattr__(self, 'angles', angles)

    @classmethod
    def still(cls, num_points=1):
        """A camera that does not move: every instant at the origin."""
        return cls(np.zeros((num_points, 2)), np.zeros(num_points))

    def __len__(self):
        return len(self.points)

    @property
    def length(self):
        """Length of the translation path in pixels."""
        return float(np.linalg.norm(np.diff(self.points, axis=0), axis=1)
                     .sum())


def sample_blur_length(rng, min_length=0.0, max_length=25.0,
                       still_prob=0.1):
    """Draw a blur length in pixels.

    Uniform over ``[min_length, max_length]``, except that ``still_prob``
    of the draws fall in the first 1.5 px: nearly sharp inputs teach a
    model to leave sharp images alone instead of over-sharpening them.

    Args:
        rng (np.random.Generator): Source of randomness.
        min_length (float): Shortest length. Defaults to 0.
        max_length (float): Longest length. Defaults to 25.
        still_prob (float): Share of nearly still draws. Defaults to 0.1.

    Returns:
        float: The length.
    """
    if not 0 <= min_length <= max_length:
        raise ValueError('blur lengths need 0 <= min_length <= max_length, '
                         f'got min_length={min_length}, '
                         f'max_length={max_length}.')
    near = min(min_length + 1.5, max_length)
    if rng.random() < still_prob:
        return float(rng.uniform(min_length, near))
    return float(rng.uniform(near, max_length))


def random_motion_path(rng,
                       length,
                       num_steps=_PATH_STEPS,
                       jitter=None,
                       shake=None,
                       centripetal=None,
                       impulse_rate=None):
    """A random path of the given length (Boracchi & Foi's particle model).

    The particle moves ``length / (num_steps - 1)`` pixels a step. Each
    step its velocity ``v`` changes by
    ``jitter * (shake * n - centripetal * x) * step`` (``n`` a complex
    standard normal, ``x`` the position), plus, with probability
    ``impulse_rate * jitter``, a kick that nearly reverses it; then ``v`` is
    rescaled to the step length, so the speed stays constant.

    Args:
        rng (np.random.Generator): Source of randomness.
        length (float): Path length in pixels (0 gives a still path).
        num_steps (int): Positions returned. Defaults to 256.
        jitter (float | None): Overall strength of the random changes of
            direction: about 1e-3 is nearly straight, 0.05 very jittery.
            None draws it log-uniformly from [2.5e-3, 0.015], which gives
            about a third each of nearly straight paths (end-to-end distance
            above 95% of the length), curved ones, and curled ones (below
            50%).
        shake (float | None): Gaussian part, None draws from U(0, 10).
        centripetal (float | None): Pull toward the start, None draws from
            U(0, 0.7).
        impulse_rate (float | None): Relative rate of abrupt reversals,
            None draws from U(0, 0.2).

    Returns:
        np.ndarray: ``(num_steps, 2)`` float64 ``(x, y)`` positions, the
        first at the origin.
    """
    if length < 0:
        raise ValueError(f'length must be >= 0, got {length}.')
    if num_steps < 2:
        raise ValueError(f'num_steps must be >= 2, got {num_steps}.')
    if jitter is None:
        jitter = float(np.exp(rng.uniform(np.log(2.5e-3), np.log(0.015))))
    if shake is None:
        shake = rng.uniform(0, 10)
    if centripetal is None:
        centripetal = rng.uniform(0, 0.7)
    if impulse_rate is None:
        impulse_rate = rng.uniform(0, 0.2)
    # Drawn in bulk, and always, so the stream of rng does not depend on
    # the branch taken at each step.
    step = length / (num_steps - 1)
    kicks = rng.standard_normal((num_steps - 1, 2)) @ np.array([1, 1j])
    impulses = rng.random(num_steps - 1) < impulse_rate * jitter
    reversal = np.exp(1j * (np.pi + rng.uniform(-0.5, 0.5, num_steps - 1)))
    heading = np.exp(1j * rng.uniform(0, 2 * np.pi))

    x = np.zeros(num_steps, dtype=np.complex128)
    if step == 0:
        return np.zeros((num_steps, 2))
    v = heading * step
    for t in range(num_steps - 1):
        dv = jitter * (shake * kicks[t] - centripetal * x[t]) * step
        if impulses[t]:
            dv += 2 * v * reversal[t]
        v = v + dv
        speed = abs(v)
        # A kick that cancels v exactly leaves the heading as it was.
        v = v * (step / speed) if speed > 0 else heading * step
        x[t + 1] = x[t] + v
    return np.stack([x.real, x.imag], axis=1)


def random_trajectory(rng,
                      num_points=None,
                      length=None,
                      min_length=0.0,
                      max_length=25.0,
                      image_size=None,
                      max_rotation_px=0.0,
                      speed_variation=0.3,
                      point_spacing=1.0,
                      min_points=7,
                      max_points=64,
                      still_prob=0.1,
                      **path_kwargs):
    """A random camera trajectory over one exposure.

    Args:
        rng (np.random.Generator): Source of randomness.
        num_points (int | None): Instants to sample. None picks enough that
            consecutive positions are at most ``point_spacing`` pixels apart
            (clamped to ``[min_points, max_points]``).
        length (float | None): Path length in pixels; None draws it with
            :func:`sample_blur_length` from ``[min_length, max_length]``.
        min_length (float): See ``length``. Defaults to 0.
        max_length (float): See ``length``. Defaults to 25.
        image_size (tuple[int, int] | None): ``(H, W)`` of the image, needed
            to turn ``max_rotation_px`` into an angle.
        max_rotation_px (float): Largest displacement, in pixels at the
            image corners, of the in-plane rotation over the exposure.
            Defaults to 0 (translation only).
        speed_variation (float): Standard deviation of the log exponent of
            the time warp ``t -> t**g``: 0 keeps the speed constant, 0.3
            lets the camera noticeably speed up or slow down.
        point_spacing (float): See ``num_points``. Defaults to 1.
        min_points (int): See ``num_points``. Defaults to 7.
        max_points (int): See ``num_points``. Defaults to 64.
        still_prob (float): With ``length`` None, the share of nearly
            still paths (see :func:`sample_blur_length`). Defaults to 0.1.
        **path_kwargs: ``jitter``, ``shake``, ``centripetal``,
            ``impulse_rate`` of :func:`random_motion_path`.

    Returns:
        MotionTrajectory: Points (and angles) centred on their means.
    """
    if length is None:
        length = sample_blur_length(rng, min_length, max_length,
                                    still_prob)
    path = random_motion_path(rng, length, **path_kwargs)

    rotation_px = rng.uniform(-max_rotation_px, max_rotation_px)
    if max_rotation_px > 0 and image_size is None:
        raise ValueError('random_trajectory: max_rotation_px > 0 needs '
                         'image_size=(H, W) to convert pixels to an angle.')
    radius = 0.5 * np.hypot(*image_size) if image_size else 1.0

    if num_points is None:
        extent = max(length, abs(rotation_px))
        num_points = int(np.ceil(extent / point_spacing)) + 1
        num_points = int(np.clip(num_points, min_points, max_points))
    times = np.linspace(0.0, 1.0, num_points)
    warped = times**np.exp(rng.normal(0.0, speed_variation))
    # The path is parametrised by arc length, which the constant speed of
    # the walk makes proportional to time.
    grid = np.linspace(0.0, 1.0, len(path))
    points = np.stack(
        [np.interp(warped, grid, path[:, i]) for i in range(2)], axis=1)
    angles = (rotation_px / radius) * times
    return MotionTrajectory(points - points.mean(axis=0),
                            angles - angles.mean())
