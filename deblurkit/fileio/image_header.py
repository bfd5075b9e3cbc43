"""What an image file declares about itself, read before any pixel is.

- :func:`read_image_size` parses the header of every format deblurkit reads
  (PNG IHDR, JPEG SOFn, BMP, WebP VP8/VP8L/VP8X, PNM, TIFF IFD0) without
  decoding;
- :func:`check_pixel_budget` refuses an image whose declared size exceeds
  the pixel budget, so that a 400 KB file declaring 12000 x 12000 pixels
  fails at once instead of allocating gigabytes in the decoder;
- :func:`check_complete` refuses PNG and JPEG files without their end
  marker (a cut-off copy that OpenCV would half-decode with a warning).

The budget is :data:`DEFAULT_MAX_IMAGE_PIXELS` (2**27, about 134 megapixels,
e.g. 11585 x 11585: its 16-bit RGBA decode takes 1 GiB and its float32 RGB
copy 1.5 GiB, which a 24 GB machine holds alongside a tiled run), or the
environment variable ``DEBLURKIT_MAX_IMAGE_PIXELS`` (read once), or what
:func:`set_max_image_pixels` / :func:`max_image_pixels` set; the tools take
``--max-pixels``.
"""
import os
import struct
from contextlib import contextmanager

__all__ = [
    'DEFAULT_MAX_IMAGE_PIXELS', 'ImageTooLargeError', 'read_image_size',
    'check_complete', 'check_pixel_budget', 'get_max_image_pixels',
    'set_max_image_pixels', 'max_image_pixels', 'is_truncated'
]

DEFAULT_MAX_IMAGE_PIXELS = 2**27
MAX_PIXELS_ENV = 'DEBLURKIT_MAX_IMAGE_PIXELS'

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_JPEG_SIGNATURE = b'\xff\xd8'
# A complete file ends with these markers; a cut-off download does not.
_PNG_END = b'IEND'
_JPEG_END = b'\xff\xd9'
TAIL_BYTES = 4096
# Enough for every header parsed here but JPEG's (read as a stream) and
# TIFF's (whose first directory may lie anywhere).
_HEAD_BYTES = 1024


class ImageTooLargeError(OSError):
    """An image declares more pixels than the budget allows."""


_budget = {}


def get_max_image_pixels():
    """The pixel budget in force (see the module docs)."""
    if 'value' not in _budget:
        text = os.environ.get(MAX_PIXELS_ENV)
        _budget['value'] = DEFAULT_MAX_IMAGE_PIXELS if text is None else (
            _parse_budget(text, MAX_PIXELS_ENV))
    return _budget['value']


def _parse_budget(value, name):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1:
        raise ValueError(f'{name} must be a whole number of pixels >= 1 '
                         f'(e.g. 300000000), got {value!r}')
    return number


def set_max_image_pixels(value):
    """Set the pixel budget for this process; None returns to the
    environment variable or the default."""
    if value is None:
        _budget.clear()
    else:
        _budget['value'] = _parse_budget(value, 'max_image_pixels')


@contextmanager
def max_image_pixels(value):
    """The pixel budget set to ``value`` inside a ``with`` block."""
    before = dict(_budget)
    set_max_image_pixels(value)
    try:
        yield
    finally:
        _budget.clear()
        _budget.update(before)


def check_pixel_budget(path, height, width, max_pixels=None):
    """Raise :class:`ImageTooLargeError` if ``height x width`` exceeds the
    budget (``max_pixels`` or :func:`get_max_image_pixels`)."""
    limit = get_max_image_pixels() if max_pixels is None else _parse_budget(
        max_pixels, 'max_pixels')
    if height * width > limit:
        raise ImageTooLargeError(
            f'{path!r} declares {width} x {height} = {height * width:,} '
            f'pixels, more than the budget of {limit:,}; not decoded. If '
            'the image is genuine, raise the budget with --max-pixels N (or '
            f'{MAX_PIXELS_ENV}=N, or max_pixels=N in Python).')


def is_truncated(head, tail):
    """Whether a PNG or JPEG lacks its end marker (other formats: never)."""
    if head.startswith(_PNG_SIGNATURE):
        return _PNG_END not in tail
    if head.startswith(_JPEG_SIGNATURE):
        # Inside JPEG entropy data 0xFF is always followed by 0x00 or a
        # restart marker, so FF D9 near the end is the end-of-image marker.
        return _JPEG_END not in tail
    return False


def check_complete(path):
    """Raise if ``path`` is empty or a PNG or JPEG file cut short (reads
    two chunks).

    Raises:
        OSError: The file cannot be opened, is empty, or is truncated.
    """
    from .scan import open_regular
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(16)
            f.seek(max(0, size - TAIL_BYTES))
            tail = f.read()
    except OSError as e:
        raise OSError(f'Cannot read image file {path!r}: {e}') from e
    if size == 0:
        raise OSError(f'Image file {path!r} is empty; re-copy it.')
    if is_truncated(head, tail):
        raise OSError(f'Image file {path!r} is truncated (no end marker); '
                      're-download or re-copy it.')


# ------------------------------------------------------------ header parsers
def _png_size(head, f):
    # IHDR is the first chunk: width and height are big-endian uint32.
    if len(head) < 24 or head[12:16] != b'IHDR':
        return None
    width, height = struct.unpack('>II', head[16:24])
    return height, width


def _jpeg_size(head, f):
    f.seek(2)
    while True:
        marker = f.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        code = marker[1]
        if code == 0xFF:  # fill byte before a marker
            f.seek(-1, os.SEEK_CUR)
            continue
        if code in (0xD8, 0x01) or 0xD0 <= code <= 0xD7:
            continue  # markers without a length field
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack('>H', length_bytes)[0]
        if length < 2:
            return None
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8), DAC
        # (CC), which share the range.
        if 0xC0 <= code <= 0xCF and code not in (0xC4, 0xC8, 0xCC):
            data = f.read(5)
            if len(data) < 5:
                return None
            height, width = struct.unpack('>HH', data[1:5])
            return height, width
        f.seek(length - 2, os.SEEK_CUR)


def _bmp_size(head, f):
    if len(head) < 26:
        return None
    if struct.unpack('<I', head[14:18])[0] == 12:  # OS/2 BITMAPCOREHEADER
        width, height = struct.unpack('<HH', head[18:22])
    else:
        width, height = struct.unpack('<ii', head[18:26])
    return abs(height), abs(width)  # negative height: stored top-down


def _webp_size(head, f):
    kind = head[12:16]
    if kind == b'VP8 ' and len(head) >= 30:
        width, height = struct.unpack('<HH', head[26:30])
        return height & 0x3FFF, width & 0x3FFF
    if kind == b'VP8L' and len(head) >= 25:
        bits = struct.unpack('<I', head[21:25])[0]
        return ((bits >> 14) & 0x3FFF) + 1, (bits & 0x3FFF) + 1
    if kind == b'VP8X' and len(head) >= 30:
        width = int.from_bytes(head[24:27], 'little') + 1
        height = int.from_bytes(head[27:30], 'little') + 1
        return height, width
    return None


def _pnm_size(head, f):
    tokens, text = [], head[2:]
    for line in text.split(b'\n'):
        line = line.split(b'#', 1)[0]
        tokens += line.split()
        if len(tokens) >= 2:
            break
    try:
        width, height = int(tokens[0]), int(tokens[1])
    except (IndexError, ValueError):
        return None
    return height, width


def _tiff_size(head, f):
    order = '<' if head[:2] == b'II' else '>'
    f.seek(4)
    (offset, ) = struct.unpack(order + 'I', f.read(4))
    f.seek(offset)
    count_bytes = f.read(2)
    if len(count_bytes) < 2:
        return None
    (count, ) = struct.unpack(order + 'H', count_bytes)
    entries = f.read(12 * count)
    size = {}
    for i in range(len(entries) // 12):
        tag, kind = struct.unpack(order + 'HH', entries[12 * i:12 * i + 4])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT or LONG
            value = entries[12 * i + 8:12 * i + 12]
            size[tag] = struct.unpack(order + ('H' if kind == 3 else 'I'),
                                      value[:2] if kind == 3 else value)[0]
    if len(size) < 2:
        return None
    return size[257], size[256]


_FORMATS = (
    (lambda h: h.startswith(_PNG_SIGNATURE), _png_size),
    (lambda h: h.startswith(_JPEG_SIGNATURE), _jpeg_size),
    (lambda h: h.startswith(b'BM'), _bmp_size),
    (lambda h: h.startswith(b'RIFF') and h[8:12] == b'WEBP', _webp_size),
    (lambda h: h[:1] == b'P' and h[1:2] in b'123456' and len(h) > 2 and
     h[2:3].isspace(), _pnm_size),
    (lambda h: h[:4] in (b'II*\x00', b'MM\x00*'), _tiff_size),
)


def read_image_size(path):
    """``(height, width)`` of an image file as stored, from its header.

    Args:
        path (str): A PNG, JPEG, BMP, WebP, PPM/PGM or TIFF file.

    Returns:
        tuple[int, int]: Height and width (EXIF orientation not applied).

    Raises:
        OSError: The file cannot be opened, is not a regular file, or its
            header is not one of these formats or is damaged.
    """
    from .scan import open_regular
    try:
        with open_regular(path) as f:
            head = f.read(_HEAD_BYTES)
            for matches, parse in _FORMATS:
                if matches(head):
                    size = parse(head, f)
                    break
            else:
                raise OSError(
                    'not a PNG, JPEG, BMP, WebP, PPM/PGM or TIFF file (its '
                    'first bytes are no known signature)')
    except (OSError, struct.error) as e:
        raise OSError(f'Cannot read image file {path!r}: {e}') from e
    if size is None or 0 in size:
        raise OSError(f'Cannot read image file {path!r}: its header is '
                      'damaged (no valid image size); re-copy it.')
    return tuple(int(v) for v in size)
