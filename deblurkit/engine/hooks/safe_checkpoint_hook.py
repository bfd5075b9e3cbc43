"""Keep checkpoints loadable with ``torch.load(weights_only=True)``."""
import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging.history_buffer import HistoryBuffer

from deblurkit.registry import HOOKS

_BUFFER_TAG = '__history_buffer__'
_ARRAY_TAG = '__numpy_array__'


def to_plain(obj):
    """Replace numpy values and mmengine ``HistoryBuffer`` s by plain data.

    ``HistoryBuffer`` pickles its statistics methods through ``getattr``,
    which no safe unpickler can allow (``getattr`` reaches any attribute of
    anything), and numpy values need numpy's reconstructors; a checkpoint of
    tensors, numbers, strings and containers needs no allowlist at all.
    """
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {
            _BUFFER_TAG: True,
            'log': torch.from_numpy(np.array(log, dtype=np.float64)),
            'count': torch.from_numpy(np.array(count, dtype=np.int64)),
            'max_length': obj.max_length,
        }
    if isinstance(obj, np.ndarray):
        return {_ARRAY_TAG: True, 'data': torch.from_numpy(obj.copy())}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return type(obj)((k, to_plain(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v) for v in obj)
    return obj


def from_plain(obj):
    """Undo :func:`to_plain` (numpy scalars come back as Python numbers)."""
    if isinstance(obj, dict):
        if obj.get(_BUFFER_TAG) is True:
            return HistoryBuffer(obj['log'].numpy(), obj['count'].numpy(),
                                 obj['max_length'])
        if obj.get(_ARRAY_TAG) is True:
            return obj['data'].numpy()
        return type(obj)((k, from_plain(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(from_plain(v) for v in obj)
    return obj


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Save checkpoints as tensors and plain Python data only.

    Converts the training state that mmengine pickles as objects (the
    message hub's ``HistoryBuffer`` s, numpy values) into plain data before a
    checkpoint is saved and back after one is loaded, so resuming works with
    ``torch.load(weights_only=True)`` on torch >= 2.6 and a checkpoint never
    needs arbitrary code to be loaded. The weights are saved without the DDP
    wrappers' ``module.``. ``tools/train.py`` always adds it.
    """

    priority = 'VERY_HIGH'

    def before_save_checkpoint(self, runner, checkpoint):
        # Distributed training wraps each part in DDP, whose ``module.``
        # would land inside the keys (``generator.module.*``): saved
        # without it, a checkpoint has one layout however it was trained.
        from deblurkit.models.generators import unwrap_state_dict
        if isinstance(checkpoint.get('state_dict'), dict):
            checkpoint['state_dict'] = unwrap_state_dict(
                checkpoint['state_dict'])
        for key in list(checkpoint):
            if key not in ('state_dict', 'optimizer'):
                checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint):
        for key in list(checkpoint):
            if key not in ('state_dict', 'optimizer'):
                checkpoint[key] = from_plain(checkpoint[key])
