"""The two blur models: frame averaging (GoPro) and kernel convolution.

Both work in linear light (see :mod:`deblurkit.synthesis.color`) and both
take a sharp sRGB image ``H x W x C`` (float in [0, 1], or uint8) and
return a blurred float32 sRGB image of the same shape.

- :func:`blur_by_frame_averaging` is how the GoPro dataset was made (Nah et
  al., CVPR 2017): a high-speed camera's consecutive sharp frames averaged.
  Here the frames are the sharp image warped along a camera trajectory, so
  the blur may vary over the image (rotation) and is exactly aligned with
  the sharp image at the trajectory's mean position.
- :func:`blur_with_kernel` is DeblurGAN v1's recipe: one spatially uniform
  kernel rasterised from a random trajectory.
"""
import cv2
import numpy as np

from .color import linear_to_srgb, srgb_to_linear

__all__ = ['blur_by_frame_averaging', 'blur_with_kernel', 'as_float_image']


def as_float_image(img, name='image'):
    """``img`` as float32 in [0, 1]: uint8 is divided by 255.

    Args:
        img (np.ndarray): ``H x W`` or ``H x W x C``, uint8 or float.
        name (str): What the array is, for the error message.

    Returns:
        np.ndarray: float32 array of the same shape.
    """
    img = np.asarray(img)
    if img.ndim not in (2, 3) or min(img.shape[:2]) < 1:
        raise ValueError(f'{name} must be an H x W or H x W x C array, got '
                         f'shape {img.shape}.')
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if not np.issubdtype(img.dtype, np.floating):
        raise TypeError(f'{name} must be uint8 or float in [0, 1], got '
                        f'{img.dtype}.')
    return img.astype(np.float32, copy=False)


def _warp_matrix(shift, angle, center):
    """2x3 matrix rotating by ``angle`` about ``center``, then shifting."""
    cos, sin = np.cos(angle), np.sin(angle)
    rot = np.array([[cos, -sin], [sin, cos]])
    center = np.asarray(center, dtype=np.float64)
    offset = center - rot @ center + np.asarray(shift, dtype=np.float64)
    return np.hstack([rot, offset[:, None]])


def blur_by_frame_averaging(sharp, trajectory, center=None):
    """Blur by averaging the sharp image warped along a trajectory.

    Each instant of the trajectory gives one frame: the linear-light image
    rotated by ``trajectory.angles[i]`` about ``center`` and shifted by
    ``trajectory.points[i]`` (bilinear, sub-pixel, mirrored borders). The
    frames are averaged and encoded back to sRGB. With too few instants for
    a long path the frames stay apart and the blur shows ghosts, as in the
    GoPro data; :func:`~deblurkit.synthesis.trajectory.random_trajectory`
    picks enough by default.

    Args:
        sharp (np.ndarray): ``H x W x C`` (or ``H x W``) sRGB image, float
            in [0, 1] or uint8.
        trajectory (MotionTrajectory): The camera motion.
        center (tuple[float, float] | None): ``(x, y)`` centre of rotation,
            None for the image centre.

    Returns:
        np.ndarray: float32 blurred sRGB image, same shape as ``sharp``.
    """
    linear = srgb_to_linear(as_float_image(sharp, 'sharp'))
    height, width = linear.shape[:2]
    if center is None:
        center = ((width - 1) / 2.0, (height - 1) / 2.0)
    total = np.zeros_like(linear)
    for shift, angle in zip(trajectory.points, trajectory.angles):
        matrix = _warp_matrix(shift, angle, center)
        frame = cv2.warpAffine(
            linear,
            matrix, (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT_101)
        total += frame.reshape(linear.shape)
    return linear_to_srgb(total / len(trajectory))


def blur_with_kernel(sharp, kernel):
    """Blur by convolving with a kernel in linear light.

    Args:
        sharp (np.ndarray): ``H x W x C`` (or ``H x W``) sRGB image, float
            in [0, 1] or uint8.
        kernel (np.ndarray): ``k x k`` kernel, ``k`` odd, centred on the
            middle pixel (as :func:`~deblurkit.synthesis.kernel.
            trajectory_to_kernel` makes them). Normalised here.

    Returns:
        np.ndarray: float32 blurred sRGB image, same shape as ``sharp``.
    """
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 2 or kernel.shape[0] % 2 == 0 or \
            kernel.shape[1] % 2 == 0:
        raise ValueError('blur_with_kernel: kernel must be 2-D with odd '
                         f'sides, got shape {kernel.shape}.')
    if kernel.min() < 0 or kernel.sum() <= 0:
        raise ValueError('blur_with_kernel: kernel must be non-negative '
                         'with a positive sum.')
    linear = srgb_to_linear(as_float_image(sharp, 'sharp'))
    # filter2D correlates; flipping the kernel makes it a convolution, so
    # the kernel reads as the trajectory (offset (x, y) moves content by
    # (x, y)) like the frame-averaging model.
    blurred = cv2.filter2D(
        linear, -1, cv2.flip(kernel / kernel.sum(), -1),
        borderType=cv2.BORDER_REFLECT_101)
    return linear_to_srgb(blurred.reshape(linear.shape))
