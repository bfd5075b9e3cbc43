from .cpu_amp_optim_wrapper import (CPUBF16OptimWrapper, cpu_supports_bf16,
                                    enable_mixed_precision)
from .multi_optim_wrapper_constructor import MultiOptimWrapperConstructor

__all__ = [
    'CPUBF16OptimWrapper', 'MultiOptimWrapperConstructor',
    'cpu_supports_bf16', 'enable_mixed_precision'
]
