from .checkpoint import (ATOMIC_BACKEND, SAFE_GLOBALS, SCHEME,
                         AtomicLocalBackend,
                         CheckpointFileError, UnsafeCheckpointError,
                         atomic_write, check_checkpoint_file, safe_torch_load)
from .checkpoint_reader import (NonFiniteCheckpointError, checkpoint_errors,
                                find_resume_checkpoint,
                                load_discriminator_weights,
                                load_generator_weights, read_checkpoint)
from .hooks import (DeblurCheckpointHook, DeblurLoggerHook,
                    DeblurVisualizationHook, GeneratorEMAHook,
                    InputBaselineHook, SafeCheckpointHook,
                    SaveDeblurredImagesHook, WarmupRestartHook)
from .optimizers import (CPUBF16OptimWrapper, MultiOptimWrapperConstructor,
                         enable_mixed_precision)
from .runner import DeblurRunner, build_runner

__all__ = [
    'ATOMIC_BACKEND', 'SAFE_GLOBALS', 'SCHEME', 'AtomicLocalBackend',
    'CheckpointFileError',
    'UnsafeCheckpointError', 'atomic_write', 'check_checkpoint_file',
    'safe_torch_load', 'NonFiniteCheckpointError', 'checkpoint_errors',
    'find_resume_checkpoint', 'load_discriminator_weights',
    'load_generator_weights', 'read_checkpoint', 'DeblurCheckpointHook',
    'DeblurLoggerHook', 'InputBaselineHook',
    'DeblurVisualizationHook', 'GeneratorEMAHook', 'SaveDeblurredImagesHook',
    'WarmupRestartHook', 'MultiOptimWrapperConstructor',
    'CPUBF16OptimWrapper', 'enable_mixed_precision', 'SafeCheckpointHook',
    'DeblurRunner', 'build_runner'
]
