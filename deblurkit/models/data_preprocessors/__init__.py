from .deblur_data_preprocessor import DeblurDataPreprocessor

__all__ = ['DeblurDataPreprocessor']
