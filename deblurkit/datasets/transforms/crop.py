"""Padding and cropping pairs to the training size."""
import cv2
import numpy as np

from deblurkit.registry import TRANSFORMS
from .paired_transform import PairedTransform

_BORDER_MODES = dict(
    constant=cv2.BORDER_CONSTANT,
    reflect=cv2.BORDER_REFLECT,
    reflect_101=cv2.BORDER_REFLECT_101,
    replicate=cv2.BORDER_REPLICATE)


def _to_hw(size, name):
    if isinstance(size, int):
        size = (size, size)
    if (len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size)):
        raise ValueError(f'{name}: size must be a positive int or (height, '
                         f'width), got {size!r}.')
    return tuple(size)


class _PairedCrop(PairedTransform):
    """Crop of a fixed size; subclasses choose the top-left corner."""

    def __init__(self, size, keys=('img', 'gt')):
        super().__init__(keys)
        self.size = _to_hw(size, type(self).__name__)

    def corner(self, h, w):
        """Top-left ``(y, x)`` of the crop in an ``h x w`` image."""
        raise NotImplementedError

    def transform(self, results):
        h, w = self.image_shape(results)
        ch, cw = self.size
        if h < ch or w < cw:
            path = results.get(f'{self.keys[0]}_path')
            raise ValueError(
                f'{type(self).__name__}: image {path!r} is '
                f'{h}x{w}, smaller than the crop {ch}x{cw} (height x width). '
                'Put PairedPadIfNeeded(size) before the crop, or crop less.')
        y, x = self.corner(h, w)
        for key in self.keys:
            results[key] = results[key][y:y + ch, x:x + cw]
        return results

    def repr_args(self):
        return dict(size=self.size, keys=list(self.keys))


@TRANSFORMS.register_module()
class PairedRandomCrop(_PairedCrop):
    """Crop the same random window out of every image in ``keys``.

    Raises (naming the file and sizes) when an image is smaller than the
    crop; the training pipelines pad with :class:`PairedPadIfNeeded` first.

    Args:
        size (int | tuple[int, int]): Crop size, ``(height, width)`` or one
            int for a square.
        keys (Sequence[str]): Defaults to ``('img', 'gt')``.
    """

    def corner(self, h, w):
        return (np.random.randint(0, h - self.size[0] + 1),
                np.random.randint(0, w - self.size[1] + 1))


@TRANSFORMS.register_module()
class PairedCenterCrop(_PairedCrop):
    """Crop the central window of every image in ``keys``.

    Args:
        size (int | tuple[int, int]): Crop size, ``(height, width)`` or one
            int for a square.
        keys (Sequence[str]): Defaults to ``('img', 'gt')``.
    """

    def corner(self, h, w):
        return (h - self.size[0]) // 2, (w - self.size[1]) // 2


@TRANSFORMS.register_module()
class PairedPadIfNeeded(PairedTransform):
    """Pad every image in ``keys`` to at least ``size``, centred.

    Images already as large are left alone. The official pipeline pads to
    the crop size with a 101-reflection before cropping, so that frames
    smaller than the crop still train.

    Args:
        size (int | tuple[int, int]): Minimum ``(height, width)``, or one
            int for both.
        keys (Sequence[str]): Defaults to ``('img', 'gt')``.
        border_mode (str): ``'reflect_101'`` (``dcb|abcd|cba``),
            ``'reflect'``, ``'replicate'`` or ``'constant'``. Defaults to
            ``'reflect_101'``.
        value (float): Fill value for ``'constant'``. Defaults to 0.
    """

    def __init__(self,
                 size,
                 keys=('img', 'gt'),
                 border_mode='reflect_101',
                 value=0.):
        super().__init__(keys)
        self.size = _to_hw(size, 'PairedPadIfNeeded')
        if border_mode not in _BORDER_MODES:
            raise ValueError(f'PairedPadIfNeeded: border_mode must be one of '
                             f'{sorted(_BORDER_MODES)}, got {border_mode!r}.')
        self.border_mode = border_mode
        self.value = value

    def transform(self, results):
        h, w = self.image_shape(results)
        pad_h, pad_w = max(self.size[0] - h, 0), max(self.size[1] - w, 0)
        if pad_h == 0 and pad_w == 0:
            return results
        top, left = pad_h // 2, pad_w // 2
        for key in self.keys:
            img = results[key]
            padded = cv2.copyMakeBorder(
                img,
                top,
                pad_h - top,
                left,
                pad_w - left,
                _BORDER_MODES[self.border_mode],
                value=(self.value, ) * 4)
            # copyMakeBorder drops a trailing channel axis of size 1.
            results[key] = padded.reshape(padded.shape[:2] + img.shape[2:])
        return results

    def repr_args(self):
        return dict(
            size=self.size,
            keys=list(self.keys),
            border_mode=self.border_mode,
            value=self.value)
