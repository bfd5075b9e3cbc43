from .checkpoint import (SAFE_GLOBALS, AtomicLocalBackend,
                         UnsafeCheckpointError, atomic_write, safe_torch_load)

__all__ = [
    'SAFE_GLOBALS', 'AtomicLocalBackend', 'UnsafeCheckpointError',
    'atomic_write', 'safe_torch_load'
]
