from .checkpoint import (SAFE_GLOBALS, AtomicLocalBackend,
                         UnsafeCheckpointError, atomic_write, safe_torch_load)
from .hooks import (DeblurVisualizationHook, GeneratorEMAHook,
                    SafeCheckpointHook, SaveDeblurredImagesHook)
from .optimizers import (CPUBF16OptimWrapper, MultiOptimWrapperConstructor,
                         enable_mixed_precision)

__all__ = [
    'SAFE_GLOBALS', 'AtomicLocalBackend', 'UnsafeCheckpointError',
    'atomic_write', 'safe_torch_load', 'DeblurVisualizationHook',
    'SaveDeblurredImagesHook', 'MultiOptimWrapperConstructor',
    'CPUBF16OptimWrapper', 'enable_mixed_precision', 'GeneratorEMAHook',
    'SafeCheckpointHook'
]
