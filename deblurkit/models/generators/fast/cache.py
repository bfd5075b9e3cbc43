"""The fast generator of a model, built once and rebuilt when needed.

``deblurkit.apis`` calls :func:`fast_generator_for` for every batch; the
fast module is kept (beside the generator, not inside it, for as long as the
generator lives) and rebuilt only when the generator's weights, device,
dtype or ``norm_stats`` change, so loading another checkpoint into the same
model is picked up.
"""
import weakref

import torch

from deblurkit.runtime import fast_inference_enabled
from .generator import has_fast_path, optimize_generator

# generator -> (key, fast module); entries go with their generator.
_CACHE = weakref.WeakKeyDictionary()


def _weights_key(generator):
    # _version counts in-place writes (load_state_dict copies in place);
    # data_ptr catches replaced tensors (.to(), assignment).
    return tuple((t.data_ptr(), t._version)
                 for t in (*generator.parameters(), *generator.buffers()))


def fast_generator_for(generator, dtype=None):
    """The module to call for inference with ``generator``.

    Returns the cached fast module (:func:`optimize_generator`) for a
    generator the fast path was written for (:func:`has_fast_path`) in eval
    mode. Returns ``generator`` itself when the fast path is switched off
    (:mod:`deblurkit.runtime`), when it is in train mode (its batch
    statistics are not reproduced), or for any other generator.

    Args:
        generator (nn.Module): ``model.generator``.
        dtype (torch.dtype, optional): Compute dtype (e.g. ``torch.float16``
            on CUDA); default float32.

    Returns:
        nn.Module: A module mapping ``(N, 3, H, W)`` to the same shape.
    """
    if (not fast_inference_enabled() or generator.training
            or not has_fast_path(generator)):
        return generator
    param = next(generator.parameters(), None)
    device = param.device if param is not None else torch.device('cpu')
    key = (device, dtype, generator.norm_stats, generator.pad_mode,
           _weights_key(generator))
    cached = _CACHE.get(generator)
    if cached is None or cached[0] != key:
        _CACHE.pop(generator, None)  # free the old one first
        fast = optimize_generator(generator, device=device, dtype=dtype)
        _CACHE[generator] = (key, fast)
        return fast
    return cached[1]
