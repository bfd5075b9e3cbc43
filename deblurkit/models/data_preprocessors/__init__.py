from .deblur_data_preprocessor import (PAD_MODES, DeblurDataPreprocessor,
                                       pad_to, pad_to_multiple, padded_size)

__all__ = [
    'DeblurDataPreprocessor', 'PAD_MODES', 'pad_to', 'pad_to_multiple',
    'padded_size'
]
