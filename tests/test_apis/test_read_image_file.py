"""read_image_file / write_image_file: layouts, EXIF orientation, bad
files."""
import struct
import zlib

import cv2
import numpy as np
import pytest

from deblurkit.apis import read_image_file, write_image_file


def exif_tiff(orientation, order='MM'):
    """A minimal EXIF TIFF block holding only the orientation tag."""
    e = '>' if order == 'MM' else '<'
    return (order.encode() + struct.pack(e + 'HI', 42, 8) +
            struct.pack(e + 'H', 1) +
            struct.pack(e + 'HHIHH', 0x0112, 3, 1, orientation, 0) +
            struct.pack(e + 'I', 0))


def jpeg_with_orientation(img, orientation, order='MM'):
    jpg = cv2.imencode('.jpg', img)[1].tobytes()
    payload = b'Exif\x00\x00' + exif_tiff(orientation, order)
    app1 = b'\xff\xe1' + struct.pack('>H', len(payload) + 2) + payload
    return jpg[:2] + app1 + jpg[2:]


def png_with_orientation(img, orientation):
    png = cv2.imencode('.png', img)[1].tobytes()
    tiff = exif_tiff(orientation)
    chunk = (struct.pack('>I', len(tiff)) + b'eXIf' + tiff +
             struct.pack('>I', zlib.crc32(b'eXIf' + tiff)))
    return png[:33] + chunk + png[33:]  # after the signature and IHDR


@pytest.mark.parametrize('orientation', range(1, 9))
def test_orientation_as_imread_color(tmp_path, orientation):
    rng = np.random.default_rng(orientation)
    img = rng.integers(0, 255, (20, 40, 3), dtype=np.uint8)
    path = tmp_path / 'o.png'
    path.write_bytes(png_with_orientation(img, orientation))
    np.testing.assert_array_equal(
        read_image_file(str(path)), cv2.imread(str(path), cv2.IMREAD_COLOR))


@pytest.mark.parametrize('order', ['MM', 'II'])
def test_jpeg_orientation_either_byte_order(tmp_path, order):
    img = np.zeros((20, 40, 3), np.uint8)
    path = tmp_path / 'o.jpg'
    path.write_bytes(jpeg_with_orientation(img, 6, order))
    assert read_image_file(str(path)).shape == (40, 20, 3)


def test_orientation_turns_alpha_and_16_bit_too(tmp_path):
    rgba = np.random.default_rng(0).integers(0, 255, (20, 40, 4),
                                             dtype=np.uint8)
    path = tmp_path / 'a.png'
    path.write_bytes(png_with_orientation(rgba, 8))
    np.testing.assert_array_equal(
        read_image_file(str(path)),
        cv2.rotate(rgba, cv2.ROTATE_90_COUNTERCLOCKWISE))
    gray16 = (np.arange(800).reshape(20, 40) * 80).astype(np.uint16)
    path.write_bytes(png_with_orientation(gray16, 6))
    out = read_image_file(str(path))
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out,
                                  cv2.rotate(gray16, cv2.ROTATE_90_CLOCKWISE))


@pytest.mark.parametrize('ext', ['.png', '.tif', '.bmp', '.webp', '.jpg'])
def test_round_trip_layouts(tmp_path, ext):
    rng = np.random.default_rng(0)
    cases = [rng.integers(0, 255, (33, 51, 3), dtype=np.uint8),
             rng.integers(0, 255, (33, 51), dtype=np.uint8)]
    if ext in ('.png', '.tif', '.webp', '.bmp'):
        cases.append(rng.integers(0, 255, (33, 51, 4), dtype=np.uint8))
    if ext in ('.png', '.tif'):
        cases.append(rng.integers(0, 65535, (33, 51, 3), dtype=np.uint16))
    for img in cases:
        if ext == '.webp' and img.ndim == 2:
            continue  # WebP has no gray mode: OpenCV stores it as BGR
        path = str(tmp_path / f'x{ext}')
        write_image_file(path, img)
        back = read_image_file(path)
        assert back.shape == img.shape and back.dtype == img.dtype


def test_truncated_and_non_images_are_refused(tmp_path):
    jpg = cv2.imencode('.jpg', np.full((40, 56, 3), 99, np.uint8))[1]
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(jpg.tobytes()[:len(jpg) // 2])
    with pytest.raises(OSError, match='cut.jpg.*truncated'):
        read_image_file(str(cut))
    text = tmp_path / 'notes.png'
    text.write_text('not an image')
    with pytest.raises(OSError, match='notes.png'):
        read_image_file(str(text))
    with pytest.raises(OSError, match='missing.png'):
        read_image_file(str(tmp_path / 'missing.png'))


def test_unwritable_format_names_the_file(tmp_path):
    with pytest.raises(OSError, match=r'x\.ppm'):
        write_image_file(str(tmp_path / 'x.ppm'),
                         np.zeros((8, 8, 4), np.uint8))
