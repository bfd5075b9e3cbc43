from .checkpoint_hook import DeblurCheckpointHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .save_images_hook import SaveDeblurredImagesHook
from .visualization_hook import DeblurVisualizationHook

__all__ = [
    'DeblurCheckpointHook', 'DeblurVisualizationHook', 'SafeCheckpointHook',
    'SaveDeblurredImagesHook'
]
