"""Where sharp images come from: procedural dead leaves or a photo folder.

A source is a picklable callable ``source(rng) -> H x W x 3`` float32 sRGB
image in [0, 1], so the dataset writer can hand it to worker processes and
draw image ``i`` from its own seeded generator, whatever the worker.
"""
import os.path as osp
import warnings

import cv2
import numpy as np

from deblurkit.datasets.base_paired_dataset import _name_some
from deblurkit.fileio import (check_pixel_budget, open_regular,
                              read_image_size, scan_images)
from .dead_leaves import dead_leaves_image
from .errors import SynthesisError

__all__ = ['DeadLeavesSource', 'ImageFolderSource']

# JPEG decoders can scale down by 2 or 4 while decoding, several times
# faster than decoding in full and resizing.
_DECODE_FLAGS = ((4, cv2.IMREAD_REDUCED_COLOR_4),
                 (2, cv2.IMREAD_REDUCED_COLOR_2), (1, cv2.IMREAD_COLOR))


def _decode(path, factor):
    """8-bit RGB pixels of ``path``, decoded at ``1/r`` of their size.

    Unlike :func:`deblurkit.fileio.read_image_file` (exact pixels as
    stored), this is for cropping large photos fast: 8 bits (what the
    dataset stores anyway; 16-bit files are scaled by OpenCV), and the
    image stays uint8 until it is cropped. The policy is the same: only
    regular files, the pixel budget checked on the header first, EXIF
    orientation applied (OpenCV does for ``IMREAD_COLOR`` and its reduced
    variants).

    Args:
        path (str): The image file.
        factor (float): Downscaling wanted; ``r`` is the largest of 4, 2, 1
            not above it.

    Returns:
        tuple[np.ndarray, int]: ``H x W x 3`` uint8 RGB image and ``r``.
    """
    reduction, flag = next(
        (r, f) for r, f in _DECODE_FLAGS if r <= max(factor, 1))
    check_pixel_budget(path, *read_image_size(path))
    try:
        with open_regular(path) as f:
            data = np.frombuffer(f.read(), np.uint8)
    except OSError as e:
        raise OSError(f'cannot read {path!r}: {e}') from e
    image = cv2.imdecode(data, flag) if data.size else None
    if image is None:
        raise OSError(f'OpenCV cannot decode {path!r}')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB), reduction


class DeadLeavesSource:
    """Procedural sharp images, see :func:`dead_leaves_image`.

    Args:
        size (tuple[int, int]): ``(H, W)`` of the images.
        **kwargs: More arguments of :func:`dead_leaves_image`.
    """

    def __init__(self, size, **kwargs):
        self.size = tuple(int(v) for v in size)
        self.kwargs = kwargs

    def __call__(self, rng):
        return dead_leaves_image(self.size, rng, **self.kwargs)

    def __repr__(self):
        return f'DeadLeavesSource(size={self.size})'


class ImageFolderSource:
    """Random crops of the user's own (sharp) photographs.

    Every image below ``root`` (recursively; PNG, JPEG, BMP, TIFF, WebP,
    PPM/PGM) is a candidate. At construction the files are vetted from
    their headers: unreadable ones are skipped with a warning naming them,
    and so are images smaller than ``size`` in either side. A crop is taken
    at a random scale between ``1 / max_downscale`` and 1 (log-uniform,
    area averaging): a photo's own softness and noise shrink with it, and
    a small crop of a large photo is not all flat wall.

    Args:
        root (str): The folder of sharp images.
        size (tuple[int, int]): ``(H, W)`` of the crops.
        max_downscale (float): Largest downscaling factor. Defaults to 3.
        files (list[tuple[str, tuple[int, int]]] | None): Use these
            ``(path, (H, W))`` (already vetted) instead of scanning
            ``root``; see :meth:`split`.

    Raises:
        SynthesisError: ``root`` is not a folder, has no readable image, or
            every image is smaller than ``size``.
    """

    def __init__(self, root, size, max_downscale=3.0, files=None):
        self.root = str(root)
        self.size = tuple(int(v) for v in size)
        if max_downscale < 1:
            raise ValueError(
                f'max_downscale must be >= 1, got {max_downscale}.')
        self.max_downscale = float(max_downscale)
        self.files = list(self._scan() if files is None else files)

    def _scan(self):
        """``(path, (H, W))`` of the usable images; warns about the rest."""
        if not osp.isdir(self.root):
            raise SynthesisError(
                f'sharp image folder {self.root!r} (--sharp-dir) does not '
                'exist or is not a folder; pass a folder of sharp photos.')
        height, width = self.size
        usable, unreadable, small, largest = [], [], [], (0, 0)
        for rel in scan_images(self.root):
            path = osp.join(self.root, rel)
            try:
                shape = tuple(read_image_size(path))
            except OSError:
                unreadable.append(path)
                continue
            largest = max(largest, shape, key=lambda s: s[0] * s[1])
            if shape[0] < height or shape[1] < width:
                small.append(path)
            else:
                usable.append((path, shape))
        if unreadable:
            warnings.warn(
                f'skipping {len(unreadable)} unreadable image file(s) in '
                f'{self.root!r}: {_name_some(unreadable)}', stacklevel=3)
        if not usable and not small:
            raise SynthesisError(
                f'no readable image in {self.root!r} (--sharp-dir): expected '
                'PNG, JPEG, BMP, TIFF, WebP or PPM files, searched '
                'recursively. Point --sharp-dir at a folder of photos.')
        if not usable:
            raise SynthesisError(
                f'every image in {self.root!r} (--sharp-dir) is smaller than '
                f'the requested size {height}x{width} (H x W; the largest is '
                f'{largest[0]}x{largest[1]}). Pass a smaller --size or '
                'larger images.')
        if small:
            warnings.warn(
                f'skipping {len(small)} image(s) smaller than {height}x'
                f'{width} in {self.root!r}: {_name_some(small)}',
                stacklevel=3)
        return usable

    def __len__(self):
        return len(self.files)

    def split(self, fraction, rng):
        """Two sources over disjoint random subsets of the files.

        Args:
            fraction (float): Share of the files in the second source
                (at least one file; with a single file both share it).
            rng (np.random.Generator): Decides which files go where.

        Returns:
            tuple[ImageFolderSource, ImageFolderSource]: The larger and
            the smaller part.
        """
        if len(self.files) < 2:
            return self, self
        order = rng.permutation(len(self.files))
        cut = len(self.files) - max(1, int(round(fraction * len(self.files))))
        parts = [[self.files[i] for i in sorted(order[:cut])],
                 [self.files[i] for i in sorted(order[cut:])]]
        return tuple(
            ImageFolderSource(self.root, self.size, self.max_downscale, part)
            for part in parts)

    def __call__(self, rng):
        height, width = self.size
        start = int(rng.integers(len(self.files)))
        failed = []
        # A file whose header read fine may still fail to decode: take the
        # next one, so the draw stays deterministic.
        for offset in range(len(self.files)):
            path, (file_h, file_w) = self.files[(start + offset) %
                                                len(self.files)]
            fit = min(file_h / height, file_w / width, self.max_downscale)
            factor = float(np.exp(rng.uniform(0, np.log(fit))))
            try:
                image, reduction = _decode(path, factor)
            except OSError:
                failed.append(path)
                continue
            if failed:
                warnings.warn('skipping undecodable image file(s) '
                              f'{_name_some(failed)}')
            return self._crop(image, factor / reduction, rng)
        raise SynthesisError(f'none of the images in {self.root!r} could be '
                             f'decoded: {_name_some(failed)}')

    def _crop(self, image, factor, rng):
        """A random crop of ``factor`` times ``size``, resized to ``size``.

        Returns:
            np.ndarray: ``H x W x 3`` float32 RGB in [0, 1].
        """
        height, width = self.size
        # Clamped: rounding in reduced decoding, or an EXIF rotation the
        # header did not show, can leave the image a pixel or so short.
        crop_h = min(int(round(height * factor)), image.shape[0])
        crop_w = min(int(round(width * factor)), image.shape[1])
        y0 = int(rng.integers(image.shape[0] - crop_h + 1))
        x0 = int(rng.integers(image.shape[1] - crop_w + 1))
        crop = image[y0:y0 + crop_h, x0:x0 + crop_w]
        if crop.shape[:2] != (height, width):
            crop = cv2.resize(crop, (width, height),
                              interpolation=cv2.INTER_AREA)
        return crop.astype(np.float32) / 255

    def __repr__(self):
        return (f'ImageFolderSource(root={self.root!r}, size={self.size}, '
                f'files={len(self.files)})')
