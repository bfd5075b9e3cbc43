from .inference import (VIDEO_EXTENSIONS, deblur_image, deblur_images,
                        deblur_video, read_image_file, resolve_dtype,
                        tile_windows, write_image_file)
from .init_model import (init_model, load_discriminator_weights,
                         load_generator_weights)

__all__ = [
    'init_model', 'load_generator_weights', 'load_discriminator_weights',
    'deblur_image', 'deblur_images',
    'deblur_video', 'read_image_file', 'write_image_file', 'tile_windows',
    'VIDEO_EXTENSIONS', 'resolve_dtype'
]
