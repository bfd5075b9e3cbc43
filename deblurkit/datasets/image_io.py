"""Reading image files the way every deblurkit pipeline expects them.

One place decides how a file becomes an array, so that training, evaluation
and inference see the same pixels: OpenCV decodes the file as stored
(``IMREAD_UNCHANGED``), the channels are reordered to RGB, grayscale is
replicated to three channels, an alpha channel is dropped, and the values are
scaled to float32 in [0, 1] (uint8 / 255, uint16 / 65535).

The datasets use :func:`read_image_size` and :func:`check_complete` to vet
files cheaply at build time (``check_files=True``); the loading transform
uses :func:`read_image` for the pixels.
"""
import os
import os.path as osp
import struct

import cv2
import numpy as np

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp',
                  '.ppm', '.pgm')

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_JPEG_SIGNATURE = b'\xff\xd8'
# A complete file ends with these markers; a cut-off download does not.
_PNG_END = b'IEND'
_JPEG_END = b'\xff\xd9'
_TAIL_BYTES = 4096


def is_image_file(filename):
    """Whether ``filename`` has one of :data:`IMG_EXTENSIONS` (any case)."""
    return filename.lower().endswith(IMG_EXTENSIONS)


def scan_images(folder):
    """Image files below ``folder``, recursively.

    Args:
        folder (str): An existing directory.

    Returns:
        list[str]: Paths relative to ``folder`` with ``/`` separators,
        sorted, so that the order (and any split) does not depend on the
        file system.
    """
    found = []
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs.sort()
        for name in files:
            if is_image_file(name):
                rel = osp.relpath(osp.join(root, name), folder)
                found.append(rel.replace(os.sep, '/'))
    return sorted(found)


def _is_truncated(head, tail):
    """Whether a PNG or JPEG lacks its end marker (other formats: never)."""
    if head.startswith(_PNG_SIGNATURE):
        return _PNG_END not in tail
    if head.startswith(_JPEG_SIGNATURE):
        # Inside JPEG entropy data 0xFF is always followed by 0x00 or a
        # restart marker, so FF D9 near the end is the end-of-image marker.
        return _JPEG_END not in tail
    return False


def check_complete(path):
    """Raise if ``path`` is a PNG or JPEG file cut short (reads two chunks).

    Args:
        path (str): The image file.

    Raises:
        OSError: The file cannot be opened, is empty, or is truncated.
    """
    try:
        size = osp.getsize(path)
        with open(path, 'rb') as f:
            head = f.read(16)
            f.seek(max(0, size - _TAIL_BYTES))
            tail = f.read()
    except OSError as e:
        raise OSError(f'Cannot read image file {path!r}: {e}') from e
    if size == 0:
        raise OSError(f'Image file {path!r} is empty; re-copy it.')
    if _is_truncated(head, tail):
        raise OSError(f'Image file {path!r} is truncated (no end marker); '
                      're-download or re-copy it.')


def _png_size(head):
    # IHDR is the first chunk: width and height are big-endian uint32.
    width, height = struct.unpack('>II', head[16:24])
    return height, width


def _jpeg_size(f):
    f.seek(2)
    while True:
        marker = f.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        code = marker[1]
        if code in (0xD8, 0x01) or 0xD0 <= code <= 0xD7:
            continue  # markers without a length field
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack('>H', length_bytes)[0]
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8), DAC
        # (CC), which share the range.
        if 0xC0 <= code <= 0xCF and code not in (0xC4, 0xC8, 0xCC):
            data = f.read(5)
            if len(data) < 5:
                return None
            height, width = struct.unpack('>HH', data[1:5])
            return height, width
        f.seek(length - 2, os.SEEK_CUR)


def read_image_size(path):
    """``(height, width)`` of an image file, from its header where possible.

    PNG and JPEG headers are parsed without decoding the pixels; other
    formats are decoded in full.

    Args:
        path (str): The image file.

    Returns:
        tuple[int, int]: Height and width.

    Raises:
        OSError: The file cannot be opened or decoded.
    """
    try:
        with open(path, 'rb') as f:
            head = f.read(24)
            if head.startswith(_PNG_SIGNATURE) and len(head) == 24:
                return _png_size(head)
            if head.startswith(_JPEG_SIGNATURE):
                size = _jpeg_size(f)
                if size is not None:
                    return size
    except OSError as e:
        raise OSError(f'Cannot read image file {path!r}: {e}') from e
    return read_image(path, check_end=False)[0].shape[:2]


def to_float32(img, path='<array>'):
    """Scale an image array to float32 in [0, 1].

    Args:
        img (np.ndarray): uint8 (divided by 255), uint16 (divided by 65535)
            or floating point (assumed already in [0, 1], cast only).
        path (str): Named in the error message.

    Returns:
        np.ndarray: float32 array of the same shape.
    """
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.
    if img.dtype == np.uint16:
        return img.astype(np.float32) / 65535.
    if np.issubdtype(img.dtype, np.floating):
        return img.astype(np.float32)
    raise TypeError(f'Image {path!r} has dtype {img.dtype}; deblurkit reads '
                    'uint8, uint16 or float images only. Convert it to 8- or '
                    '16-bit PNG.')


def read_image(path, check_end=True):
    """Read an image file as float32 RGB in [0, 1].

    Args:
        path (str): The image file.
        check_end (bool): Also reject PNG/JPEG files without their end
            marker (a truncated copy that a decoder might half-accept).

    Returns:
        tuple[np.ndarray, dict]: The ``H x W x 3`` float32 RGB image, and
        ``dict(ori_shape=(H, W), ori_channels=1|3|4, ori_dtype=str)``
        describing the file as stored.

    Raises:
        OSError: The file is missing, unreadable, truncated or not an image.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise OSError(f'Cannot read image file {path!r}: {e}') from e
    if check_end and _is_truncated(data[:16], data[-_TAIL_BYTES:]):
        raise OSError(f'Image file {path!r} is truncated (no end marker); '
                      're-download or re-copy it.')
    # imdecode on the bytes, rather than imread on the path, also handles
    # non-ASCII paths on every platform.
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise OSError(f'OpenCV cannot decode image file {path!r} (corrupt, '
                      'truncated or not an image); re-copy or remove it.')
    channels = 1 if img.ndim == 2 else img.shape[2]
    info = dict(
        ori_shape=tuple(img.shape[:2]),
        ori_channels=channels,
        ori_dtype=str(img.dtype))
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    elif channels == 1:
        img = np.repeat(img, 3, axis=2)
    elif channels == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif channels == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    else:
        raise OSError(f'Image file {path!r} has {channels} channels; expected '
                      '1 (gray), 3 (colour) or 4 (colour + alpha).')
    return to_float32(img, path), info
