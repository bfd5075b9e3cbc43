"""Corruptions of the blurred input only (the official ``corrupt`` list)."""
import copy
import inspect

import cv2
import numpy as np

from deblurkit.registry import TRANSFORMS
from .paired_transform import PairedTransform

# Each corruption draws its parameters for an ``h x w`` image and returns
# the function that applies them to an ``H x W x 3`` float32 RGB image in
# [0, 1]. Drawing once lets several keys share one draw. Limits in 8-bit
# units (0-255) mirror albumentations, whose names the official configs use.


def _cutout(h, w, num_holes=8, max_h_size=8, max_w_size=8, fill_value=0.):
    holes = []
    for _ in range(num_holes):
        y, x = np.random.randint(h), np.random.randint(w)
        y1, x1 = max(y - max_h_size // 2, 0), max(x - max_w_size // 2, 0)
        holes.append((y1, min(y1 + max_h_size, h), x1, min(x1 + max_w_size,
                                                           w)))

    def apply(img):
        img = img.copy()
        for y1, y2, x1, x2 in holes:
            img[y1:y2, x1:x2] = fill_value
        return img

    return apply


def _to_uint8(img):
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


def _jpeg(h, w, quality_lower=99, quality_upper=100):
    quality = int(np.random.randint(quality_lower, quality_upper + 1))

    def apply(img):
        # libjpeg expects BGR; encoding RGB as BGR would subsample the
        # wrong chroma.
        bgr = cv2.cvtColor(_to_uint8(img), cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode('.jpg', bgr,
                                [int(cv2.IMWRITE_JPEG_QUALITY), quality])
        if not ok:
            raise RuntimeError('RandomCorrupt: OpenCV failed to encode JPEG.')
        out = cv2.imdecode(data, cv2.IMREAD_COLOR)
        return cv2.cvtColor(out, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.

    return apply


def _gaussian_noise(h, w, var_limit=(10., 50.), mean=0.):
    sigma = np.sqrt(np.random.uniform(*var_limit)) / 255.
    noise = np.random.normal(mean / 255., sigma, (h, w, 3)).astype(np.float32)
    return lambda img: np.clip(img + noise, 0, 1)


def _odd_size(blur_limit):
    return 2 * np.random.randint(1, blur_limit // 2 + 1) + 1  # 3..limit


def _motion_blur(h, w, blur_limit=7):
    # A straight streak through the kernel's centre at a random angle.
    size = _odd_size(blur_limit)
    angle = np.random.uniform(0, np.pi)
    r = (size - 1) / 2
    dx, dy = r * np.cos(angle), r * np.sin(angle)
    kernel = np.zeros((size, size), np.float32)
    cv2.line(kernel, (int(round(r - dx)), int(round(r - dy))),
             (int(round(r + dx)), int(round(r + dy))), 1., 1)
    kernel /= kernel.sum()
    return lambda img: cv2.filter2D(img, -1, kernel)


def _median_blur(h, w, blur_limit=7):
    size = int(_odd_size(blur_limit))

    def apply(img):
        if size <= 5:
            return cv2.medianBlur(img, size)
        # OpenCV's median filter takes float input only up to 5x5.
        return cv2.medianBlur(_to_uint8(img), size).astype(np.float32) / 255.

    return apply


def _gamma(h, w, gamma_limit=(80, 120)):
    gamma = np.random.uniform(*gamma_limit) / 100.
    return lambda img: np.power(img, gamma, dtype=np.float32)


def _rgb_shift(h, w, r_shift_limit=20, g_shift_limit=20, b_shift_limit=20):
    shift = np.array([
        np.random.uniform(-limit, limit)
        for limit in (r_shift_limit, g_shift_limit, b_shift_limit)
    ], np.float32) / 255.
    return lambda img: np.clip(img + shift, 0, 1)


def _hsv_shift(h,
               w,
               hue_shift_limit=20,
               sat_shift_limit=30,
               val_shift_limit=20):
    # Hue in OpenCV's 8-bit unit (2 degrees), saturation and value in 1/255.
    hue = np.random.uniform(-hue_shift_limit, hue_shift_limit) * 2
    sat = np.random.uniform(-sat_shift_limit, sat_shift_limit) / 255.
    val = np.random.uniform(-val_shift_limit, val_shift_limit) / 255.

    def apply(img):
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)  # H in [0, 360)
        hsv[..., 0] = np.mod(hsv[..., 0] + hue, 360)
        hsv[..., 1] = np.clip(hsv[..., 1] + sat, 0, 1)
        hsv[..., 2] = np.clip(hsv[..., 2] + val, 0, 1)
        return np.clip(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), 0, 1)

    return apply


def _sharpen(h, w, alpha=(0.2, 0.5), lightness=(0.5, 1.)):
    a = np.random.uniform(*alpha)
    effect = -np.ones((3, 3), np.float32)
    effect[1, 1] = 8 + np.random.uniform(*lightness)
    identity = np.zeros((3, 3), np.float32)
    identity[1, 1] = 1
    kernel = (1 - a) * identity + a * effect
    return lambda img: np.clip(cv2.filter2D(img, -1, kernel), 0, 1)


#: The corruptions, by the names the official configs use.
CORRUPTIONS = dict(
    cutout=_cutout,
    jpeg=_jpeg,
    gaussian_noise=_gaussian_noise,
    motion_blur=_motion_blur,
    median_blur=_median_blur,
    gamma=_gamma,
    rgb_shift=_rgb_shift,
    hsv_shift=_hsv_shift,
    sharpen=_sharpen)

#: The released DeblurGAN-v2 training config's list.
DEFAULT_CORRUPTIONS = (
    dict(name='cutout', prob=0.5, num_holes=3, max_h_size=25, max_w_size=25),
    dict(name='jpeg', quality_lower=70, quality_upper=90),
    dict(name='motion_blur'),
    dict(name='median_blur'),
    dict(name='gamma'),
    dict(name='rgb_shift'),
    dict(name='hsv_shift'),
    dict(name='sharpen'),
)


@TRANSFORMS.register_module()
class RandomCorrupt(PairedTransform):
    """Apply at most one corruption, chosen at random, to ``keys``.

    Mirrors albumentations' ``OneOf`` over the official ``corrupt`` list:
    with probability ``prob`` one entry is chosen, with weights given by
    the entries' own ``prob`` (default 0.5 each, so uniform for the released
    list), and applied. Otherwise the image is left alone. Only ``keys``
    (the blurred ``img`` by default) change; the sharp target never does.

    Available corruptions (parameters in 8-bit units; defaults those of
    albumentations):

    - ``cutout(num_holes=8, max_h_size=8, max_w_size=8, fill_value=0)``:
      black rectangles.
    - ``jpeg(quality_lower=99, quality_upper=100)``: JPEG round trip.
    - ``gaussian_noise(var_limit=(10, 50), mean=0)``: noise of a random
      variance, drawn per pixel and channel.
    - ``motion_blur(blur_limit=7)``: a straight streak kernel, size 3..7.
    - ``median_blur(blur_limit=7)``: median filter, size 3..7 (size 7
      quantises to 8 bits, OpenCV's limit for floats).
    - ``gamma(gamma_limit=(80, 120))``: ``img ** (g / 100)``.
    - ``rgb_shift(r_shift_limit=20, g_shift_limit=20, b_shift_limit=20)``.
    - ``hsv_shift(hue_shift_limit=20, sat_shift_limit=30,
      val_shift_limit=20)``: hue in OpenCV 8-bit units (2 degrees).
    - ``sharpen(alpha=(0.2, 0.5), lightness=(0.5, 1.0))``.

    Args:
        corruptions (Sequence[dict]): Entries ``dict(name=..., prob=...,
            **params)``. Defaults to :data:`DEFAULT_CORRUPTIONS`, the
            released training config's list.
        keys (Sequence[str]): Images to corrupt, with one shared draw.
            Defaults to ``('img', )``.
        prob (float): Probability of corrupting at all. Defaults to 0.5,
            the default of albumentations' ``OneOf`` that the official code
            kept.
    """

    def __init__(self,
                 corruptions=DEFAULT_CORRUPTIONS,
                 keys=('img', ),
                 prob=0.5):
        super().__init__(keys)
        if not 0 <= prob <= 1:
            raise ValueError(
                f'RandomCorrupt: prob must be in [0, 1], got {prob}.')
        if not corruptions:
            raise ValueError('RandomCorrupt: corruptions is empty.')
        self.prob = prob
        self.corruptions = [copy.deepcopy(dict(c)) for c in corruptions]
        self._entries, weights = [], []
        for cfg in self.corruptions:
            params = dict(cfg)
            name = params.pop('name', None)
            if name not in CORRUPTIONS:
                raise ValueError(f'RandomCorrupt: unknown corruption {name!r} '
                                 f'in {cfg}; choose from {list(CORRUPTIONS)}.')
            weights.append(params.pop('prob', 0.5))
            try:
                inspect.signature(CORRUPTIONS[name]).bind(0, 0, **params)
            except TypeError as e:
                raise TypeError(f'RandomCorrupt: bad parameters for {name!r} '
                                f'in {cfg}: {e}') from e
            self._entries.append((name, params))
        weights = np.asarray(weights, np.float64)
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError('RandomCorrupt: the entries\' prob must be >= 0 '
                             f'and not all 0, got {weights.tolist()}.')
        self._weights = weights / weights.sum()

    def transform(self, results):
        if np.random.rand() >= self.prob:
            return results
        h, w = self.image_shape(results)
        name, params = self._entries[np.random.choice(
            len(self._entries), p=self._weights)]
        apply = CORRUPTIONS[name](h, w, **params)
        for key in self.keys:
            results[key] = apply(results[key]).astype(np.float32, copy=False)
        return results

    def repr_args(self):
        return dict(
            corruptions=self.corruptions, keys=list(self.keys), prob=self.prob)
