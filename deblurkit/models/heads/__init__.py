from .fpn_head import FPNHead

__all__ = ['FPNHead']
