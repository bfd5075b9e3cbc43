"""One (blurred, sharp) training pair from a sharp image.

:class:`BlurSettings` says which blur models to use and how strong; it is
shared by the Python API, the dataset writer, the command-line tool and the
``SynthesizeMotionBlur`` transform, so all four make the same data.
"""
from dataclasses import asdict, dataclass
from typing import Optional

import cv2
import numpy as np

from .blur import as_float_image, blur_by_frame_averaging, blur_with_kernel
from .color import linear_to_srgb, srgb_to_linear
from .degradations import add_sensor_noise, jpeg_compress
from .kernel import random_blur_kernel
from .trajectory import random_trajectory

__all__ = ['BLUR_MODELS', 'BlurSettings', 'soften_by_lens', 'synthesize_pair']

#: ``'gopro'``: frame averaging along a camera trajectory (translation and
#: rotation); ``'kernel'``: convolution with a random-trajectory kernel;
#: ``'mixed'``: either, per pair.
BLUR_MODELS = ('gopro', 'kernel', 'mixed')


@dataclass(frozen=True)
class BlurSettings:
    """How :func:`synthesize_pair` blurs and degrades an image.

    Args:
        blur (str): One of :data:`BLUR_MODELS`. Defaults to ``'mixed'``.
        gopro_share (float): With ``'mixed'``, the share of pairs blurred
            by frame averaging. Defaults to 0.5.
        min_length (float): Shortest blur trajectory in pixels. Defaults
            to 0.
        max_length (float): Longest blur trajectory in pixels. Defaults
            to 25.
        still_prob (float): Share of pairs whose path is nearly still
            (its length drawn from the first 1.5 px above ``min_length``;
            the others from the rest of the range): such pairs teach a
            model to leave sharp detail alone instead of sharpening it
            further. Defaults to 0.1.
        max_rotation_px (float): Largest in-plane rotation of the
            frame-averaging model, as the displacement in pixels it causes
            at the image corners. Defaults to 3.
        noise (float): Largest sensor-noise standard deviation, in 8-bit
            levels (0 to 255 scale) at mid-grey; 0 for none. Each noisy
            pair draws its level uniformly below it and splits it randomly
            between shot and read noise. Defaults to 2.
        noise_prob (float): Share of pairs that get noise. Defaults to 0.5.
        jpeg_quality (int | None): Lowest JPEG quality; a compressed pair
            draws its quality uniformly from ``[jpeg_quality, 95]``. None
            for no compression. Defaults to None.
        jpeg_prob (float): Share of pairs compressed (when
            ``jpeg_quality`` is set). Defaults to 0.5.
        random_centre (bool): Rotate the frame-averaging model about a
            random point of the image instead of its centre, so the blur
            varies over the image in direction and length, as a camera
            turning about its grip does. Defaults to False.
        linear_noise (bool): Add the noise in linear light, to the raw
            signal before the sRGB encoding, as a sensor does (shadows get
            more visible noise than highlights); the levels are then those
            at a linear 0.18 (sRGB 0.46). False adds it to the sRGB values.
            Defaults to False.
        tone (float): Largest log-exponent of a random tone curve
            ``x -> x**g``, ``|log g| <= tone``, applied in linear light to
            the sharp and the blurred image alike before the sRGB encoding
            (cameras' tone curves differ from the plain sRGB curve); 0 for
            none. Defaults to 0.
        lens_sigma (float): Largest standard deviation, in pixels, of a
            Gaussian lens point-spread function applied in linear light to
            the sharp scene before the camera moves; each pair draws its
            own from ``[0, lens_sigma]``, and the sharp image of the pair
            is the softened one. A photograph is never sharper than its
            lens and demosaicing allow, while procedural images have
            pixel-crisp edges: without it a model learns to sharpen soft
            photographs beyond what their camera could record. 0 (the
            default) for sharp images that are photographs already.
    """

    blur: str = 'mixed'
    gopro_share: float = 0.5
    min_length: float = 0.0
    max_length: float = 25.0
    still_prob: float = 0.1
    max_rotation_px: float = 3.0
    noise: float = 2.0
    noise_prob: float = 0.5
    jpeg_quality: Optional[int] = None
    jpeg_prob: float = 0.5
    random_centre: bool = False
    linear_noise: bool = False
    tone: float = 0.0
    lens_sigma: float = 0.0

    def __post_init__(self):
        if self.blur not in BLUR_MODELS:
            raise ValueError(f'blur must be one of {BLUR_MODELS}, got '
                             f'{self.blur!r}.')
        if not 0 <= self.min_length <= self.max_length:
            raise ValueError(
                'blur lengths need 0 <= min_length <= max_length, got '
                f'min_length={self.min_length}, '
                f'max_length={self.max_length}.')
        for name in ('gopro_share', 'still_prob', 'noise_prob',
                     'jpeg_prob'):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f'{name} must be in [0, 1], got '
                                 f'{getattr(self, name)}.')
        if self.noise < 0 or self.max_rotation_px < 0 or self.tone < 0 \
                or self.lens_sigma < 0:
            raise ValueError(
                'noise, max_rotation_px, tone and lens_sigma must be >= 0, '
                f'got noise={self.noise}, '
                f'max_rotation_px={self.max_rotation_px}, '
                f'tone={self.tone}, lens_sigma={self.lens_sigma}.')
        if self.jpeg_quality is not None and \
                not 1 <= self.jpeg_quality <= 95:
            raise ValueError('jpeg_quality must be None or in [1, 95], got '
                             f'{self.jpeg_quality}.')

    @property
    def changes_sharp(self):
        """Whether :func:`synthesize_pair` returns a sharp image that
        differs from its input (tone curve or lens softness)."""
        return self.tone > 0 or self.lens_sigma > 0

    def to_dict(self):
        """The settings as a plain dict (for a manifest or a config)."""
        return asdict(self)


# Slope of the sRGB curve at a linear 0.18: a noise level given in sRGB
# units at mid-grey is this many times its linear standard deviation.
_SRGB_SLOPE_AT_GREY = 1.2


def _linear_sensor_noise(linear, rng, level, shot_share):
    """Poisson-Gaussian noise on linear intensities, ``level`` being the
    total standard deviation at a linear 0.18 in sRGB units."""
    sigma = level / _SRGB_SLOPE_AT_GREY
    read = sigma * np.sqrt(1 - shot_share)
    # add_sensor_noise calibrates the shot part at 0.5; here at 0.18.
    shot = sigma * np.sqrt(shot_share) * np.sqrt(0.5 / 0.18)
    return add_sensor_noise(linear, rng, read_sigma=read, shot_sigma=shot)


def soften_by_lens(sharp, sigma):
    """``sharp`` (float sRGB in [0, 1]) through a Gaussian point-spread
    function of ``sigma`` pixels, in linear light (mirrored borders)."""
    if sigma <= 0:
        return sharp
    linear = cv2.GaussianBlur(
        srgb_to_linear(sharp), (0, 0), sigma,
        borderType=cv2.BORDER_REFLECT_101)
    return np.clip(linear_to_srgb(linear), 0, 1).astype(np.float32)


def synthesize_pair(sharp, rng, settings=None):
    """Blur a sharp image into a training pair.

    The blur model, its trajectory, the noise and the compression are all
    drawn from ``rng``: the same generator state gives the same pair.

    Args:
        sharp (np.ndarray): ``H x W x 3`` sRGB image, float in [0, 1] or
            uint8.
        rng (np.random.Generator): Source of randomness.
        settings (BlurSettings | None): None for the defaults.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(blurred, sharp)``, both
        ``H x W x 3`` float32 in [0, 1]; ``sharp`` is the input as float
        (softened by the lens when ``settings.lens_sigma`` > 0, through the
        tone curve when ``settings.tone`` > 0).
    """
    settings = settings or BlurSettings()
    sharp = as_float_image(sharp, 'sharp')
    if settings.lens_sigma > 0:
        sharp = soften_by_lens(sharp, rng.uniform(0, settings.lens_sigma))
    model = settings.blur
    if model == 'mixed':
        model = 'gopro' if rng.random() < settings.gopro_share else 'kernel'
    if model == 'gopro':
        trajectory = random_trajectory(
            rng,
            min_length=settings.min_length,
            max_length=settings.max_length,
            still_prob=settings.still_prob,
            image_size=sharp.shape[:2],
            max_rotation_px=settings.max_rotation_px)
        centre = None
        if settings.random_centre:
            centre = rng.uniform((0, 0), sharp.shape[1::-1])
        blurred = blur_by_frame_averaging(sharp, trajectory, centre)
    else:
        kernel = random_blur_kernel(
            rng,
            min_length=settings.min_length,
            max_length=settings.max_length,
            still_prob=settings.still_prob)
        blurred = blur_with_kernel(sharp, kernel)

    linear = settings.linear_noise or settings.tone > 0
    if linear:
        blurred = srgb_to_linear(blurred)
    if settings.noise > 0 and rng.random() < settings.noise_prob:
        level = rng.uniform(0, settings.noise) / 255
        shot_share = rng.random()
        if settings.linear_noise:
            blurred = _linear_sensor_noise(blurred, rng, level, shot_share)
        else:
            blurred = add_sensor_noise(
                blurred if not linear else linear_to_srgb(blurred),
                rng,
                read_sigma=level * np.sqrt(1 - shot_share),
                shot_sigma=level * np.sqrt(shot_share))
            if linear:
                blurred = srgb_to_linear(blurred)
    if settings.tone > 0:
        exponent = np.float32(np.exp(rng.uniform(-settings.tone,
                                                 settings.tone)))
        sharp = linear_to_srgb(srgb_to_linear(sharp)**exponent)
        blurred = blurred**exponent
    if linear:
        blurred = linear_to_srgb(blurred)
    if settings.jpeg_quality is not None and \
            rng.random() < settings.jpeg_prob:
        quality = int(rng.integers(settings.jpeg_quality, 96))
        blurred = jpeg_compress(blurred, quality)
    return blurred, sharp
