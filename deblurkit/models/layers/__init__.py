from .conv import DepthwiseSeparableConv2d, build_conv3x3
from .norm import (NORM_STATS_MODES, build_norm_layer, convert_norm_layers,
                   set_norm_stats)

__all__ = [
    'DepthwiseSeparableConv2d', 'build_conv3x3', 'NORM_STATS_MODES',
    'build_norm_layer', 'convert_norm_layers', 'set_norm_stats'
]
