"""fileio.image: header sizes, the pixel budget, bit depth and alpha."""
import struct
import time
import zlib

import cv2
import numpy as np
import pytest
import torch

from deblurkit.fileio import (ImageTooLargeError, check_format_holds,
                              img2tensor, max_image_pixels, read_image,
                              read_image_file, read_image_size, tensor2img,
                              write_image_file)
from deblurkit.fileio import image as image_module


@pytest.mark.parametrize('ext, shape, dtype', [
    ('.png', (33, 51, 3), np.uint8), ('.png', (33, 51), np.uint16),
    ('.jpg', (33, 51, 3), np.uint8), ('.jpg', (33, 51), np.uint8),
    ('.bmp', (33, 51, 3), np.uint8), ('.bmp', (33, 51, 4), np.uint8),
    ('.tif', (33, 51, 3), np.uint16), ('.tif', (33, 51, 4), np.uint8),
    ('.webp', (33, 51, 3), np.uint8), ('.webp', (33, 51, 4), np.uint8),
    ('.ppm', (33, 51, 3), np.uint8), ('.pgm', (33, 51), np.uint16),
])
def test_header_size_of_every_format(tmp_path, ext, shape, dtype):
    img = np.random.default_rng(0).integers(0, 200, shape).astype(dtype)
    path = tmp_path / f'x{ext}'
    path.write_bytes(cv2.imencode(ext, img)[1].tobytes())
    assert read_image_size(str(path)) == (33, 51)
    assert read_image_file(str(path)).shape == shape


def png_header(width, height, bit_depth=8, color=2):
    ihdr = struct.pack('>IIBBBBB', width, height, bit_depth, color, 0, 0, 0)
    chunk = (struct.pack('>I', 13) + b'IHDR' + ihdr +
             struct.pack('>I', zlib.crc32(b'IHDR' + ihdr)))
    return b'\x89PNG\r\n\x1a\n' + chunk


def huge_png(width, height):
    """A valid PNG of ``width x height`` zero pixels: a few hundred KB."""
    row = b'\x00' + bytes(width * 3)
    data = zlib.compress(row * 64, 9)  # only a sliver: never decoded anyway
    idat = struct.pack('>I', len(data)) + b'IDAT' + data + struct.pack(
        '>I', zlib.crc32(b'IDAT' + data))
    iend = struct.pack('>I', 0) + b'IEND' + struct.pack(
        '>I', zlib.crc32(b'IEND'))
    return png_header(width, height) + idat + iend


def jpeg_header(width, height):
    sof = b'\xff\xc0' + struct.pack('>HBHHB', 11, 8, height, width, 1) + (
        b'\x01\x11\x00')
    return b'\xff\xd8' + sof + b'\xff\xd9'


def test_pixel_budget_refuses_bombs_before_decoding(tmp_path, monkeypatch):
    png = tmp_path / 'bomb.png'
    png.write_bytes(huge_png(12000, 12000))
    jpg = tmp_path / 'bomb.jpg'
    jpg.write_bytes(jpeg_header(30000, 30000))
    assert png.stat().st_size < 500_000

    def no_decode(*args, **kwargs):
        raise AssertionError('the decoder was called')

    monkeypatch.setattr(image_module.cv2, 'imdecodeWithMetadata', no_decode)
    for path, size in ((png, '12000 x 12000'), (jpg, '30000 x 30000')):
        start = time.perf_counter()
        with pytest.raises(ImageTooLargeError, match=size) as info:
            read_image_file(str(path))
        assert time.perf_counter() - start < 1
        assert path.name in str(info.value)
        assert '--max-pixels' in str(info.value)
    with pytest.raises(ImageTooLargeError):
        read_image(str(png))  # the datasets' path too


def test_pixel_budget_can_be_raised(tmp_path):
    img = np.zeros((30, 40, 3), np.uint8)
    path = tmp_path / 'a.png'
    write_image_file(str(path), img)
    with max_image_pixels(1199):
        with pytest.raises(ImageTooLargeError, match='1,199'):
            read_image_file(str(path))
    assert read_image_file(str(path)).shape == (30, 40, 3)
    with pytest.raises(ImageTooLargeError):
        read_image_file(str(path), max_pixels=100)
    assert read_image_file(str(path), max_pixels=1200).shape == (30, 40, 3)
    with pytest.raises(ValueError, match='max_pixels'):
        read_image_file(str(path), max_pixels=0)


@pytest.mark.parametrize('ext, img, problem', [
    ('.jpg', np.full((8, 8, 3), 60000, np.uint16), '8 bits'),
    ('.webp', np.full((8, 8), 60000, np.uint16), '8 bits'),
    ('.jpg', np.zeros((8, 8, 4), np.uint8), 'alpha'),
    ('.ppm', np.zeros((8, 8, 4), np.uint16), 'alpha'),
])
def test_formats_that_would_lose_bits_or_alpha(tmp_path, ext, img, problem):
    path = tmp_path / f'x{ext}'
    with pytest.raises(OSError, match=problem):
        write_image_file(str(path), img)
    assert not path.exists()
    with pytest.raises(OSError, match=problem):
        check_format_holds(str(path), img.dtype,
                           1 if img.ndim == 2 else img.shape[2])


def test_16_bit_and_alpha_kept_where_the_format_holds_them(tmp_path):
    img = np.random.default_rng(1).integers(0, 65535, (9, 7, 4),
                                            dtype=np.uint16)
    for ext in ('.png', '.tif'):
        write_image_file(str(tmp_path / f'x{ext}'), img)
        np.testing.assert_array_equal(
            read_image_file(str(tmp_path / f'x{ext}')), img)


def test_tensor_round_trip_matches_the_layout():
    rng = np.random.default_rng(2)
    bgra = rng.integers(0, 65535, (5, 6, 4), dtype=np.uint16)
    tensor = img2tensor(bgra)
    assert tensor.shape == (3, 5, 6) and tensor.dtype == torch.float32
    np.testing.assert_array_equal(tensor[0].numpy(),
                                  bgra[..., 2] / np.float32(65535))
    np.testing.assert_array_equal(tensor2img(tensor, bgra), bgra)
    gray = rng.integers(0, 255, (5, 6), dtype=np.uint8)
    np.testing.assert_array_equal(tensor2img(img2tensor(gray), gray), gray)
    rgb = tensor2img(torch.tensor([[[0.5]], [[1.5]], [[-1.0]]]), bgr=False)
    assert rgb.tolist() == [[[128, 255, 0]]]  # 127.5 rounds half to even
