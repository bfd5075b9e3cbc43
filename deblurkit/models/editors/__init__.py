from .deblurganv2 import DeblurGANv2

__all__ = ['DeblurGANv2']
