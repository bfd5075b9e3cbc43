from .fpn_generator import FPNGenerator, build_part
from .fullres_fpn_generator import FullResFPNGenerator
from .official_checkpoint import (ARCHS, CheckpointLayoutError, detect_layout,
                                  generator_state_from_checkpoint,
                                  model_state_from_checkpoint,
                                  official_to_generator_state,
                                  unwrap_state_dict)
from .resnet_generator import ResnetGenerator
from .unet_generator import UNetGenerator

__all__ = [
    'FPNGenerator', 'FullResFPNGenerator', 'ResnetGenerator', 'UNetGenerator',
    'build_part', 'ARCHS',
    'CheckpointLayoutError', 'detect_layout',
    'generator_state_from_checkpoint', 'model_state_from_checkpoint',
    'official_to_generator_state', 'unwrap_state_dict'
]
