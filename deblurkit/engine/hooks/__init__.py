from .checkpoint_hook import DeblurCheckpointHook
from .generator_ema_hook import GeneratorEMAHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .save_images_hook import SaveDeblurredImagesHook
from .visualization_hook import DeblurVisualizationHook
from .warmup_restart_hook import WarmupRestartHook

__all__ = [
    'DeblurCheckpointHook', 'DeblurVisualizationHook', 'GeneratorEMAHook',
    'SafeCheckpointHook', 'SaveDeblurredImagesHook', 'WarmupRestartHook'
]
