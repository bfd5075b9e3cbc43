"""Sensor noise and JPEG compression, applied to the blurred image only.

A real blurred photograph is also noisy and often compressed; a model that
never saw either mistakes them for detail and amplifies them. The sharp
target stays clean: the model learns to remove them too.
"""
import cv2
import numpy as np

__all__ = ['add_sensor_noise', 'jpeg_compress']


def add_sensor_noise(img, rng, read_sigma=0.0, shot_sigma=0.0):
    """Add Poisson-Gaussian noise (signal-dependent shot + constant read).

    The noise is added to the sRGB values, as it survives a camera's own
    processing: the variance is ``read_sigma**2 + shot_sigma**2 * 2 * x``,
    so ``shot_sigma`` is the shot-noise standard deviation at mid-grey
    ``x = 0.5``. Shot noise is drawn from a true Poisson distribution.

    Args:
        img (np.ndarray): float image in [0, 1], any shape.
        rng (np.random.Generator): Source of randomness.
        read_sigma (float): Standard deviation of the Gaussian part, in
            [0, 1] units (2 / 255 is light noise).
        shot_sigma (float): Standard deviation of the Poisson part at
            mid-grey, in [0, 1] units.

    Returns:
        np.ndarray: float32 noisy image clipped to [0, 1].
    """
    img = np.asarray(img, dtype=np.float32)
    noisy = img
    if shot_sigma > 0:
        # Photons per unit intensity such that the std at 0.5 is shot_sigma.
        photons = 0.5 / shot_sigma**2
        noisy = rng.poisson(img * photons).astype(np.float32) / photons
    if read_sigma > 0:
        noisy = noisy + rng.normal(0.0, read_sigma, img.shape).astype(
            np.float32)
    return np.clip(noisy, 0.0, 1.0).astype(np.float32)


def jpeg_compress(img, quality):
    """Round-trip an image through JPEG at the given quality.

    Args:
        img (np.ndarray): ``H x W x 3`` RGB or ``H x W`` float image in
            [0, 1].
        quality (int): JPEG quality, 1 to 100.

    Returns:
        np.ndarray: float32 decoded image, same shape, in [0, 1].
    """
    if not 1 <= quality <= 100:
        raise ValueError(f'JPEG quality must be in [1, 100], got {quality}.')
    img = np.asarray(img, dtype=np.float32)
    pixels = np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)
    colour = pixels.ndim == 3
    if colour:
        # The encoder's chroma subsampling assumes BGR order.
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode('.jpg', pixels,
                            [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError('OpenCV could not encode the image as JPEG.')
    decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if colour:
        decoded = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    return decoded.astype(np.float32) / 255.0
