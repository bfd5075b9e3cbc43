from .checkpoint_hook import DeblurCheckpointHook
from .generator_ema_hook import GeneratorEMAHook
from .input_baseline_hook import InputBaselineHook
from .logger_hook import DeblurLoggerHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .save_images_hook import SaveDeblurredImagesHook
from .visualization_hook import DeblurVisualizationHook
from .warmup_restart_hook import WarmupRestartHook

__all__ = [
    'DeblurCheckpointHook', 'DeblurLoggerHook', 'DeblurVisualizationHook',
    'GeneratorEMAHook', 'InputBaselineHook', 'SafeCheckpointHook',
    'SaveDeblurredImagesHook', 'WarmupRestartHook'
]
