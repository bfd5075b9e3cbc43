"""Mixed precision training: bfloat16 autocast on the CPU, AMP on CUDA."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from deblurkit.registry import OPTIM_WRAPPERS


def cpu_supports_bf16():
    """Whether this CPU runs bfloat16 convolutions natively (AVX512-BF16 or
    AMX-BF16, as :func:`~deblurkit.models.generators.fast.onednn.native_bf16`
    reads them; without them oneDNN emulates bf16, which is correct but
    slower than float32)."""
    from deblurkit.models.generators.fast.onednn import native_bf16
    return native_bf16()


@OPTIM_WRAPPERS.register_module()
class CPUBF16OptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose ``optim_context`` runs the forward pass
    under ``torch.autocast('cpu', dtype=torch.bfloat16)``.

    mmengine's ``AmpOptimWrapper`` is CUDA-only (it asserts a GPU). bfloat16
    has float32's exponent range, so no loss scaling is needed; parameters,
    gradients and optimizer state stay float32 (autocast casts the inputs
    of convolutions and matrix products only).

    Args:
        allow_emulated (bool): Run even if the CPU lacks native bf16
            (:func:`cpu_supports_bf16`): oneDNN then emulates it, correct
            but slower than float32 (for tests). Default: False, which
            raises a RuntimeError saying so.
        **kwargs: Those of ``OptimWrapper``.
    """

    def __init__(self, allow_emulated=False, **kwargs):
        if not allow_emulated and not cpu_supports_bf16():
            raise RuntimeError(
                'CPUBF16OptimWrapper: this CPU has no native bfloat16 '
                '(AVX512-BF16 or AMX, as oneDNN reports), so bf16 training '
                'would be slower than float32; train without --amp, or set '
                'allow_emulated=True in the optim wrapper to run it anyway.')
        super().__init__(**kwargs)

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=torch.bfloat16):
            yield


def enable_mixed_precision(optim_wrapper, device_type, allow_emulated=False):
    """Switch every optim wrapper of an ``optim_wrapper`` config to mixed
    precision, in place: ``AmpOptimWrapper`` (float16 with a dynamic loss
    scale) on CUDA, :class:`CPUBF16OptimWrapper` on the CPU.

    Args:
        optim_wrapper (dict): The config's ``optim_wrapper`` (one wrapper,
            or one per player under ``MultiOptimWrapperConstructor``).
        device_type (str): ``'cuda'`` or ``'cpu'``.
        allow_emulated (bool): See :class:`CPUBF16OptimWrapper`.

    Raises:
        RuntimeError: On a CPU without native bf16 (unless
            ``allow_emulated``), or for another device type.
    """
    if device_type not in ('cpu', 'cuda'):
        raise RuntimeError(f'mixed precision: unsupported device '
                           f'{device_type!r} (use cuda or cpu)')
    if device_type == 'cpu' and not allow_emulated and not cpu_supports_bf16():
        raise RuntimeError(
            'mixed precision on the CPU needs native bfloat16 '
            '(AVX512-BF16 or AMX); this CPU has neither (oneDNN would '
            'emulate bf16, slower than float32). Train in float32 '
            '(drop --amp).')
    subs = [optim_wrapper] if 'optimizer' in optim_wrapper else [
        v for v in optim_wrapper.values()
        if isinstance(v, dict) and 'optimizer' in v
    ]
    for sub in subs:
        if device_type == 'cuda':
            sub['type'] = 'AmpOptimWrapper'
            sub.setdefault('loss_scale', 'dynamic')
        else:
            sub['type'] = 'CPUBF16OptimWrapper'
            sub.pop('loss_scale', None)
            sub['allow_emulated'] = allow_emulated
    return optim_wrapper
