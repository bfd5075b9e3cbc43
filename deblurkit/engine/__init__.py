from .checkpoint import (SAFE_GLOBALS, AtomicLocalBackend,
                         UnsafeCheckpointError, atomic_write, safe_torch_load)
from .hooks import (DeblurVisualizationHook, SafeCheckpointHook,
                    SaveDeblurredImagesHook)
from .optimizers import MultiOptimWrapperConstructor

__all__ = [
    'SAFE_GLOBALS', 'AtomicLocalBackend', 'UnsafeCheckpointError',
    'atomic_write', 'safe_torch_load', 'DeblurVisualizationHook',
    'SaveDeblurredImagesHook', 'MultiOptimWrapperConstructor',
    'SafeCheckpointHook'
]
