"""sRGB <-> linear light: blur, like light, adds up in linear intensities.

A camera integrates photons over the exposure; the image file stores those
intensities through the sRGB transfer curve. Averaging or convolving the
stored (gamma-encoded) values would darken blurred highlights and brighten
shadows compared with a real blurred photograph, so every blur model here
decodes to linear light first and encodes back afterwards.
"""
import numpy as np

__all__ = ['srgb_to_linear', 'linear_to_srgb']

# IEC 61966-2-1 constants.
_SRGB_KNEE = 0.04045
_LINEAR_KNEE = 0.0031308


def srgb_to_linear(img):
    """Decode sRGB values to linear light.

    Args:
        img (np.ndarray): Any shape, sRGB values in [0, 1] (values outside
            are clipped).

    Returns:
        np.ndarray: float32 array of the same shape, linear intensities in
        [0, 1].
    """
    img = np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)
    curve = np.power((img + 0.055) / 1.055, 2.4, dtype=np.float32)
    return np.where(img <= _SRGB_KNEE, img / 12.92, curve).astype(np.float32)


def linear_to_srgb(img):
    """Encode linear light as sRGB values (inverse of :func:`srgb_to_linear`).

    Args:
        img (np.ndarray): Any shape, linear intensities; clipped to [0, 1]
            first, as a sensor saturates.

    Returns:
        np.ndarray: float32 array of the same shape, sRGB values in [0, 1].
    """
    img = np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)
    curve = 1.055 * np.power(img, 1 / 2.4, dtype=np.float32) - 0.055
    return np.where(img <= _LINEAR_KNEE, img * 12.92, curve).astype(np.float32)
