from .deblur_data_sample import DeblurDataSample

__all__ = ['DeblurDataSample']
