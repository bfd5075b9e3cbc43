"""Image files <-> arrays <-> tensors: the one way deblurkit does each.

Reading (:func:`read_image_file`): the file must be a regular file, its
header's size must fit the pixel budget (:mod:`.image_header`), PNG/JPEG
files must end with their end marker; OpenCV then decodes it as stored
(``IMREAD_UNCHANGED``: 8 or 16 bits, gray, BGR or BGRA) and the EXIF
orientation is applied to every channel. Datasets (:func:`read_image`),
``deblurkit.apis``, the synthesis sources and the tools all read this way,
so training, evaluation and inference see the same upright pixels.

Writing (:func:`write_image_file`): the extension picks the format; a
format that cannot hold the array's bit depth (16 bits as JPEG, WebP or
BMP) or its alpha (JPEG, PPM/PGM) is an error before anything is encoded
(:func:`check_format_holds`), never a silent 8-bit or opaque copy; the bytes
are written with :func:`~deblurkit.fileio.atomic.atomic_write`.

Arrays and tensors (:func:`img2tensor`, :func:`tensor2img`): the network
sees ``(3, H, W)`` RGB float in [0, 1] (uint8 / 255, uint16 / 65535, gray
replicated, alpha left out); its output goes back to the input's layout,
rounded half to even and clipped.
"""
import os.path as osp

import cv2
import numpy as np
import torch

from .atomic import atomic_write
from .image_header import (TAIL_BYTES, check_pixel_budget, is_truncated,
                           read_image_size)
from .scan import open_regular, walk_files

__all__ = [
    'IMG_EXTENSIONS', 'ENCODE_PARAMS', 'is_image_file', 'scan_images',
    'read_image_file', 'read_image', 'write_image_file', 'encode_image',
    'check_format_holds', 'to_float32', 'to_rgb_float', 'img2tensor',
    'tensor2img'
]

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp',
                  '.ppm', '.pgm')
# Quality of re-encoded lossy outputs (OpenCV's default is 95 for JPEG too).
ENCODE_PARAMS = {
    '.jpg': [cv2.IMWRITE_JPEG_QUALITY, 95],
    '.jpeg': [cv2.IMWRITE_JPEG_QUALITY, 95],
    '.webp': [cv2.IMWRITE_WEBP_QUALITY, 95],
}
# What OpenCV's encoders store: 16-bit samples, and an alpha channel.
_HOLDS_16_BIT = ('.png', '.tif', '.tiff', '.ppm', '.pgm')
_HOLDS_ALPHA = ('.png', '.tif', '.tiff', '.webp', '.bmp')
_EXIF_ORIENTATION_TAG = 0x0112


def is_image_file(filename):
    """Whether ``filename`` has one of :data:`IMG_EXTENSIONS` (any case)."""
    return str(filename).lower().endswith(IMG_EXTENSIONS)


def scan_images(folder):
    """Image files below ``folder``, recursively, as sorted relative paths
    with ``/`` separators (see :func:`~deblurkit.fileio.scan.walk_files`:
    symlinks followed once, each file once, special files left out).

    Returns:
        list[str]: Paths relative to ``folder``.
    """
    import warnings
    files, skipped, rejected = walk_files(folder, keep=is_image_file,
                                          hidden=True)
    skipped = skipped + rejected
    if skipped:
        warnings.warn(f'{folder}: skipped ' + '; '.join(
            f'{path} ({reason})' for path, reason in skipped[:5]) +
                      (f' and {len(skipped) - 5} more' if len(skipped) > 5
                       else ''))
    return sorted(
        osp.relpath(f, folder).replace(osp.sep, '/') for f in files)


# ---------------------------------------------------------------- reading
def _exif_orientation(metadata_types, metadata):
    """The EXIF orientation (1..8) in OpenCV's metadata, or 1 if absent.

    OpenCV hands the EXIF block over as a TIFF structure: a byte-order mark,
    the offset of IFD0, then 12-byte entries (tag, type, count, value).
    """
    for kind, block in zip(metadata_types, metadata):
        if kind != cv2.IMAGE_METADATA_EXIF:
            continue
        data = np.asarray(block, np.uint8).tobytes()
        if data.startswith(b'Exif\x00\x00'):
            data = data[6:]
        order = {b'II': 'little', b'MM': 'big'}.get(data[:2])
        if order is None or len(data) < 8:
            return 1
        offset = int.from_bytes(data[4:8], order)
        count = int.from_bytes(data[offset:offset + 2], order)
        for i in range(count):
            entry = data[offset + 2 + 12 * i:offset + 14 + 12 * i]
            if len(entry) < 12:
                break
            if int.from_bytes(entry[:2], order) == _EXIF_ORIENTATION_TAG:
                value = int.from_bytes(entry[8:10], order)
                return value if 1 <= value <= 8 else 1
    return 1


def _apply_orientation(img, orientation):
    """Turn a stored image upright as EXIF ``orientation`` says.

    The same transforms as OpenCV's ``imread`` with ``IMREAD_COLOR``, but
    applied to every channel (alpha included) and every bit depth.
    """
    if orientation == 2:
        return cv2.flip(img, 1)
    if orientation == 3:
        return cv2.rotate(img, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(img, 0)
    if orientation == 5:
        return cv2.transpose(img)
    if orientation == 6:
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(img), -1)
    if orientation == 8:
        return cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return img


def read_image_file(path, max_pixels=None, check_end=True):
    """Read an image file as OpenCV stores it, turned upright.

    Args:
        path (str): The image file.
        max_pixels (int, optional): Pixel budget for this call; None for
            :func:`~deblurkit.fileio.image_header.get_max_image_pixels`.
        check_end (bool): Refuse PNG and JPEG files without their end
            marker (OpenCV would decode a truncated JPEG half grey with
            only a warning).

    Returns:
        np.ndarray: ``H x W`` (gray), ``H x W x 3`` (BGR) or ``H x W x 4``
        (BGRA), uint8 or uint16.

    Raises:
        OSError: The file is missing, not a regular file, empty, larger
            than the pixel budget, truncated or not a decodable image.
    """
    path = str(path)
    try:
        with open_regular(path) as f:
            data = f.read()
    except OSError as e:
        raise OSError(f'Cannot read image file {path!r}: {e}') from e
    if not data:
        raise OSError(f'Image file {path!r} is empty; re-copy it.')
    check_pixel_budget(path, *read_image_size(path), max_pixels)
    if check_end and is_truncated(data[:16], data[-TAIL_BYTES:]):
        raise OSError(f'Image file {path!r} is truncated (no end marker); '
                      're-download or re-copy it.')
    img, types, metadata = cv2.imdecodeWithMetadata(
        np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        raise OSError(f'OpenCV cannot decode {path!r}: corrupt or not an '
                      'image; re-copy or remove it.')
    if img.dtype not in (np.uint8, np.uint16):
        raise OSError(f'{path!r} has {img.dtype} pixels; deblurkit reads '
                      '8- and 16-bit images only. Convert it to 16-bit PNG.')
    return _apply_orientation(img, _exif_orientation(types, metadata))


def to_float32(img, path='<array>'):
    """Scale an image array to float32 in [0, 1]: uint8 / 255, uint16 /
    65535, floating point cast only (assumed in [0, 1])."""
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.
    if img.dtype == np.uint16:
        return img.astype(np.float32) / 65535.
    if np.issubdtype(img.dtype, np.floating):
        return img.astype(np.float32)
    raise TypeError(f'Image {path!r} has dtype {img.dtype}; deblurkit reads '
                    'uint8, uint16 or float images only. Convert it to 8- or '
                    '16-bit PNG.')


def _channels(img):
    return 1 if img.ndim == 2 else img.shape[2]


def to_rgb_float(img, path='<array>'):
    """An OpenCV array (gray, BGR or BGRA) as ``H x W x 3`` float32 RGB in
    [0, 1]: gray replicated, alpha left out."""
    channels = _channels(img)
    if channels == 1:
        rgb = np.repeat(img.reshape(img.shape[:2] + (1, )), 3, axis=2)
    elif channels in (3, 4):
        rgb = np.ascontiguousarray(img[..., 2::-1])
    else:
        raise OSError(f'Image {path!r} has {channels} channels; expected 1 '
                      '(gray), 3 (colour) or 4 (colour + alpha).')
    return to_float32(rgb, path)


def read_image(path, check_end=True):
    """Read an image file as float32 RGB in [0, 1] (for datasets).

    Returns:
        tuple[np.ndarray, dict]: The ``H x W x 3`` image, and
        ``dict(ori_shape=(H, W), ori_channels=1|3|4, ori_dtype=str)``
        describing the file (upright) as stored.
    """
    img = read_image_file(path, check_end=check_end)
    info = dict(ori_shape=tuple(img.shape[:2]), ori_channels=_channels(img),
                ori_dtype=str(img.dtype))
    return to_rgb_float(img, path), info


# ----------------------------------------------------------- tensor <-> array
def img2tensor(img):
    """An OpenCV array as a ``(3, H, W)`` RGB float32 tensor in [0, 1]."""
    return torch.from_numpy(to_rgb_float(img)).permute(2, 0, 1)


def tensor2img(tensor, like=None, dtype=np.uint8, bgr=True):
    """A ``(3, H, W)`` RGB tensor in [0, 1] as an image array.

    Args:
        tensor (Tensor): The image; values outside [0, 1] are clipped.
        like (np.ndarray, optional): Match this array's layout: its dtype,
            gray (the mean of the three channels) or BGRA (its alpha copied
            through bit for bit). Overrides ``dtype``.
        dtype (np.dtype): uint8, uint16 (scaled by 255 or 65535, rounded
            half to even) or a float type, when ``like`` is None.
        bgr (bool): BGR channel order (OpenCV's), else RGB.

    Returns:
        np.ndarray: ``H x W x 3`` (or ``like``'s shape).
    """
    out = tensor.detach().float().permute(1, 2, 0).cpu().numpy()
    channels = 3 if like is None else _channels(like)
    dtype = np.dtype(dtype if like is None else like.dtype)
    if channels == 1:
        out = out.mean(axis=2, keepdims=True)
    elif bgr:
        out = out[..., ::-1]
    if np.issubdtype(dtype, np.integer):
        top = np.iinfo(dtype).max
        out = out * top  # one float temporary, then in place: large images
        np.rint(out, out=out)
        out = np.clip(out, 0, top, out=out).astype(dtype)
    else:
        out = np.clip(out, 0, 1).astype(dtype)
    if channels == 4:
        out = np.concatenate([out, like[..., 3:]], axis=2)
    if like is not None and like.ndim == 2:
        out = out[..., 0]
    return np.ascontiguousarray(out)


# ---------------------------------------------------------------- writing
def check_format_holds(path, dtype, channels):
    """Raise OSError if ``path``'s format cannot store ``dtype`` pixels
    with ``channels`` channels without losing bits or alpha.

    16-bit pixels need .png, .tif or .ppm/.pgm; an alpha channel needs
    .png, .tif, .webp or .bmp. Checked before any work, so no 16-bit image
    is ever saturated to 8 bits and no alpha silently dropped.
    """
    ext = osp.splitext(str(path))[1].lower()
    problem = None
    if np.dtype(dtype) == np.uint16 and ext not in _HOLDS_16_BIT:
        problem = f'{ext!r} stores 8 bits per sample, the image has 16'
    elif channels == 4 and ext not in _HOLDS_ALPHA:
        problem = f'{ext!r} has no alpha channel, the image has one'
    if problem:
        raise OSError(f'cannot write {path!r}: {problem}; name the output '
                      '.png or .tif (or convert the input first) so nothing '
                      'is lost.')


def encode_image(ext, img, path=None):
    """``img`` (an OpenCV array) encoded in the format of ``ext`` (bytes);
    JPEG and WebP at quality 95. Raises OSError if it cannot be."""
    ext = ext.lower()
    name = path or f'a {ext} file'
    check_format_holds(name, img.dtype, _channels(img))
    reason = 'the encoder refused it'
    try:
        ok, buf = cv2.imencode(ext, img, ENCODE_PARAMS.get(ext, []))
    except cv2.error as err:
        ok, reason = False, str(err).strip().splitlines()[-1]
    if not ok:
        raise OSError(f'OpenCV cannot write a {img.dtype} image with '
                      f'{_channels(img)} channels as {ext!r} ({name!r}): '
                      f'{reason}. Use .png or .tif.')
    return buf.tobytes()


def write_image_file(path, img):
    """Encode ``img`` in the format of ``path``'s extension, atomically.

    The bytes are encoded in memory and written with
    :func:`~deblurkit.fileio.atomic.atomic_write` (temporary file, umask
    permissions, rename), so an interrupted or failed write never leaves a
    half-written image nor replaces the previous one.

    Args:
        path (str): Output file; its extension picks the format.
        img (np.ndarray): An array as :func:`read_image_file` returns.

    Raises:
        OSError: The format cannot hold the image (16 bits as .jpg/.webp,
            alpha as .jpg: see :func:`check_format_holds`), OpenCV cannot
            encode it, or the file cannot be written (disk full).
    """
    path = str(path)
    atomic_write(path, encode_image(osp.splitext(path)[1], img, path))
