"""The official geometric augmentation, applied alike to blurred and sharp."""
import cv2
import numpy as np

from deblurkit.registry import TRANSFORMS
from .paired_transform import PairedTransform

_INTERPOLATION = cv2.INTER_LINEAR
_BORDER = cv2.BORDER_REFLECT_101


def _hflip(h, w):
    return lambda img: np.ascontiguousarray(img[:, ::-1])


def _transpose(h, w):
    return lambda img: np.ascontiguousarray(np.swapaxes(img, 0, 1))


def _affine(matrix, h, w):
    return lambda img: cv2.warpAffine(
        img, matrix, (w, h), flags=_INTERPOLATION, borderMode=_BORDER)


def _remap(map_x, map_y):
    return lambda img: cv2.remap(
        img, map_x, map_y, _INTERPOLATION, borderMode=_BORDER)


def _shift_scale_rotate(h, w, shift=0.0625, scale=0.1, rotate=45):
    # Limits of albumentations' ShiftScaleRotate defaults, which the
    # official config used: shift by up to 6.25% of the side, scale by
    # +-10%, rotate by up to 45 degrees, reflecting at the border.
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2),
                                     np.random.uniform(-rotate, rotate),
                                     np.random.uniform(1 - scale, 1 + scale))
    matrix[0, 2] += np.random.uniform(-shift, shift) * w
    matrix[1, 2] += np.random.uniform(-shift, shift) * h
    return _affine(matrix, h, w)


def _optical_distortion(h, w, distort=0.05, shift=0.05):
    # Barrel/pincushion lens distortion with a random coefficient and a
    # slightly moved optical centre (albumentations' OpticalDistortion
    # defaults).
    k = np.random.uniform(-distort, distort)
    camera = np.array(
        [[w, 0, w / 2 + np.random.uniform(-shift, shift) * w],
         [0, h, h / 2 + np.random.uniform(-shift, shift) * h], [0, 0, 1]],
        np.float32)
    dist_coeffs = np.array([k, k, 0, 0, 0], np.float32)
    map_x, map_y = cv2.initUndistortRectifyMap(camera, dist_coeffs, None,
                                               camera, (w, h), cv2.CV_32FC1)
    return _remap(map_x, map_y)


def _elastic(h, w, alpha=1., sigma=50., alpha_affine=50.):
    # albumentations' ElasticTransform defaults: a random affine warp that
    # moves three anchor points by up to alpha_affine pixels, then a smooth
    # random displacement field (white noise blurred with sigma, times
    # alpha).
    centre = np.array([h, w], np.float32) // 2
    side = min(h, w) // 3
    anchors = np.array(
        [centre + side, [centre[0] + side, centre[1] - side], centre - side],
        np.float32)[:, ::-1]  # (x, y)
    moved = anchors + np.random.uniform(
        -alpha_affine, alpha_affine, size=anchors.shape).astype(np.float32)
    affine = cv2.getAffineTransform(anchors, moved)

    def field():
        noise = np.random.uniform(-1, 1, (h, w)).astype(np.float32)
        return cv2.GaussianBlur(noise, (17, 17), sigma) * alpha

    dx, dy = field(), field()
    grid_x, grid_y = np.meshgrid(
        np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warp = _affine(affine, h, w)
    displace = _remap(grid_x + dx, grid_y + dy)
    return lambda img: displace(warp(img))


#: The operations, by name: each draws its parameters for an ``h x w``
#: image and returns the function that applies them.
GEOMETRIC_OPS = dict(
    hflip=_hflip,
    shift_scale_rotate=_shift_scale_rotate,
    transpose=_transpose,
    optical_distortion=_optical_distortion,
    elastic=_elastic)


@TRANSFORMS.register_module()
class PairedGeometricAugment(PairedTransform):
    """One random geometric operation, drawn once, applied to all ``keys``.

    With probability ``prob`` one of ``ops`` is chosen uniformly and its
    parameters drawn once; the same warp then goes to every image, so the
    blurred image and its sharp twin stay aligned. The operations follow
    the official ``geometric`` scope (albumentations' ``OneOf`` of the same
    five, with their default limits), written with OpenCV:

    - ``hflip``: mirror left-right.
    - ``shift_scale_rotate``: shift <= 6.25%, scale 0.9-1.1, rotate <= 45
      degrees.
    - ``transpose``: swap height and width.
    - ``optical_distortion``: lens distortion ``k`` in [-0.05, 0.05].
    - ``elastic``: affine jitter <= 50 px plus a smooth displacement field.

    Warps interpolate bilinearly and reflect (101) at the border.

    Args:
        keys (Sequence[str]): Defaults to ``('img', 'gt')``.
        ops (Sequence[str]): Names from :data:`GEOMETRIC_OPS`. Defaults to
            all five.
        prob (float): Probability of transforming at all. Defaults to 0.5,
            the default probability of albumentations' ``OneOf`` that the
            official pipeline left unchanged.
    """

    def __init__(self, keys=('img', 'gt'), ops=tuple(GEOMETRIC_OPS), prob=0.5):
        super().__init__(keys)
        unknown = [op for op in ops if op not in GEOMETRIC_OPS]
        if unknown or not ops:
            raise ValueError(f'PairedGeometricAugment: unknown ops {unknown}; '
                             f'choose from {list(GEOMETRIC_OPS)}.')
        if not 0 <= prob <= 1:
            raise ValueError(
                f'PairedGeometricAugment: prob must be in [0, 1], got {prob}.')
        self.ops = tuple(ops)
        self.prob = prob

    def transform(self, results):
        if np.random.rand() >= self.prob:
            return results
        h, w = self.image_shape(results)
        op = self.ops[np.random.randint(len(self.ops))]
        apply = GEOMETRIC_OPS[op](h, w)
        for key in self.keys:
            results[key] = apply(results[key])
        return results

    def repr_args(self):
        return dict(keys=list(self.keys), ops=list(self.ops), prob=self.prob)
