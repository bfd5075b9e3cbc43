"""Checkpoints you can trust: safe loading and atomic saving.

Loading: torch >= 2.6 loads with ``weights_only=True``, which refuses any
pickled object that is not allowlisted; mmengine's checkpoints hold a
``MessageHub`` whose ``HistoryBuffer`` objects pickle numpy arrays and, worse,
their statistics methods through ``builtins.getattr`` (which no safe
allowlist may hold: it reaches any attribute of anything), so mmengine
0.10.7 cannot resume. :class:`~deblurkit.engine.hooks.SafeCheckpointHook`
saves that state as plain data instead, so our checkpoints hold tensors and
plain Python values only and the allowlist :data:`SAFE_GLOBALS` is empty; we
never load with ``weights_only=False``. A checkpoint that carries any pickled
object is refused with :class:`UnsafeCheckpointError`, before anything in it
runs.

Saving: mmengine writes a checkpoint straight to its final name, so a run
killed mid-save leaves a truncated file that looks like a checkpoint. The
local file backend registered here writes through
:func:`deblurkit.fileio.atomic_write` (a temporary name in the same folder,
the umask's permissions, then a rename), so a checkpoint is either whole or
absent.

Importing :mod:`deblurkit` installs both.
"""
import os.path as osp
import pickle

import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.runner.checkpoint import CheckpointLoader

# Atomic, umask-respecting writes live with the other file I/O; checkpoints
# are saved through them.
from deblurkit.fileio.atomic import atomic_write  # noqa: F401


#: Everything besides tensors and plain Python values that a deblurkit
#: checkpoint may hold: nothing (see SafeCheckpointHook).
SAFE_GLOBALS = []


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holding pickled objects outside :data:`SAFE_GLOBALS`."""


def safe_torch_load(filename, map_location='cpu'):
    """``torch.load`` with ``weights_only=True`` and our allowlist.

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafeCheckpointError: the file holds other pickled objects (it may
            try to run code); nothing of it has been executed.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist')
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename!r}: it holds pickled '
            'objects that are not weights, tensors or training state '
            f'({_short(err)}). Nothing in it was run. If you trust the file '
            'and know what it holds, re-save its tensors with `torch.save('
            '{"state_dict": state_dict}, path)` in a trusted environment.'
        ) from None


def _short(err):
    first = str(err).strip().splitlines()
    for line in first:
        if 'GLOBAL' in line or 'Unsupported' in line:
            return line.strip()
    return first[0] if first else type(err).__name__


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename, map_location):
    """mmengine's loader for local paths, through :func:`safe_torch_load`."""
    return safe_torch_load(filename, map_location)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with all-or-nothing writes."""

    def put(self, obj, filepath):
        atomic_write(str(filepath), obj, 'wb')

    def put_text(self, obj, filepath, encoding='utf-8'):
        atomic_write(str(filepath), obj, 'w', encoding)


register_backend('local', AtomicLocalBackend, force=True, prefixes='')
