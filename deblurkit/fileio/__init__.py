"""Files in and out: atomic writes, image I/O, safe scanning and the rule
that outputs never land on inputs. See each module's docs."""
from .atomic import atomic_output, atomic_write, umask_mode
from .image import (ENCODE_PARAMS, IMG_EXTENSIONS, check_format_holds,
                    encode_image, img2tensor, is_image_file, read_image,
                    read_image_file, scan_images, tensor2img, to_float32,
                    to_rgb_float, write_image_file)
from .image_header import (DEFAULT_MAX_IMAGE_PIXELS, MAX_PIXELS_ENV,
                           ImageTooLargeError,
                           check_complete, check_pixel_budget,
                           get_max_image_pixels, max_image_pixels,
                           read_image_size, set_max_image_pixels)
from .output_guard import (MANIFEST_NAME, OutputFolder, OutputPathError,
                           check_output_path)
from .scan import open_regular, walk_files

__all__ = [
    'atomic_output', 'atomic_write', 'umask_mode', 'ENCODE_PARAMS',
    'IMG_EXTENSIONS', 'check_format_holds', 'encode_image', 'img2tensor',
    'is_image_file', 'read_image', 'read_image_file', 'scan_images',
    'tensor2img', 'to_float32', 'to_rgb_float', 'write_image_file',
    'DEFAULT_MAX_IMAGE_PIXELS', 'MAX_PIXELS_ENV', 'ImageTooLargeError',
    'check_complete',
    'check_pixel_budget', 'get_max_image_pixels', 'max_image_pixels',
    'read_image_size', 'set_max_image_pixels', 'MANIFEST_NAME',
    'OutputFolder', 'OutputPathError', 'check_output_path', 'open_regular',
    'walk_files'
]
