"""Where the datasets get their image reading from.

The implementation is :mod:`deblurkit.fileio.image` (one EXIF policy, bit
depth, pixel budget and file checks for datasets, APIs, synthesis and
tools); these names stay importable from here.
"""
from deblurkit.fileio.image import (IMG_EXTENSIONS, is_image_file,
                                    read_image, scan_images, to_float32)
from deblurkit.fileio.image_header import check_complete, read_image_size

__all__ = [
    'IMG_EXTENSIONS', 'is_image_file', 'read_image', 'scan_images',
    'to_float32', 'check_complete', 'read_image_size'
]
