from .generator_ema_hook import GeneratorEMAHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .save_images_hook import SaveDeblurredImagesHook
from .visualization_hook import DeblurVisualizationHook

__all__ = [
    'DeblurVisualizationHook', 'GeneratorEMAHook', 'SafeCheckpointHook', 'SaveDeblurredImagesHook'
]
