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
file backend registered here as :data:`ATOMIC_BACKEND` writes through
:func:`deblurkit.fileio.atomic_write` (a temporary name in the same folder,
the umask's permissions, then a rename), so a checkpoint is either whole or
absent; :class:`~deblurkit.engine.hooks.DeblurCheckpointHook` saves through
it (``backend_args=dict(backend='deblurkit_atomic')``).

Importing :mod:`deblurkit` adds that backend and registers
:func:`safe_torch_load` with mmengine's ``CheckpointLoader`` under deblurkit's
own scheme ``deblurkit://`` (``load_checkpoint(model, 'deblurkit://x.pth')``),
both under names of their own: mmengine's default loaders and its ``local``
file backend are left as they are, for every other library in the
process. deblurkit's own tools read
checkpoints through :mod:`deblurkit.engine.checkpoint_reader`.
"""
import os
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


class UnsafeCheckpointError(pickle.UnpicklingError, ValueError):
    """A checkpoint holding pickled objects outside :data:`SAFE_GLOBALS`."""


class CheckpointFileError(ValueError):
    """A checkpoint path that is not a readable PyTorch checkpoint file."""


#: The prefix under which :func:`safe_torch_load` is registered with
#: mmengine's ``CheckpointLoader``.
SCHEME = 'deblurkit://'

# What torch.save writes first: a zip archive (torch >= 1.6) or the legacy
# pickle stream (protocol 2, e.g. the authors' 2019 .h5 files).
_TORCH_MAGIC = (b'PK\x03\x04', b'\x80')


def _local_path(filename):
    """``filename`` without :data:`SCHEME`, ``~`` expanded."""
    filename = str(filename)
    if filename.startswith(SCHEME):
        filename = filename[len(SCHEME):]
    return osp.expanduser(filename)


def check_checkpoint_file(filename):
    """Raise a one-line error unless ``filename`` looks like a checkpoint.

    Cheap: reads a few bytes, loads nothing.

    Raises:
        FileNotFoundError: nothing at that path.
        CheckpointFileError: a directory, an empty file, or a file that
            ``torch.save`` did not write (e.g. text).
    """
    filename = _local_path(filename)
    if osp.isdir(filename):
        found = sorted(f for f in os.listdir(filename)
                       if f.endswith(('.pth', '.h5')))
        hint = (f'; it holds {", ".join(found[:3])}' +
                (' ...' if len(found) > 3 else '')) if found else ''
        raise CheckpointFileError(
            f'checkpoint {filename!r} is a directory, not a file: give the '
            f'path of a .pth or .h5 file{hint}')
    if not osp.exists(filename):
        raise FileNotFoundError(
            f'checkpoint {filename!r} does not exist: check the path')
    if not osp.isfile(filename):
        raise CheckpointFileError(
            f'checkpoint {filename!r} is not a regular file: give the path '
            'of a .pth or .h5 file')
    with open(filename, 'rb') as f:
        head = f.read(4)
    if not head:
        raise CheckpointFileError(
            f'checkpoint {filename!r} is empty (0 bytes): its save or copy '
            'did not finish; use another checkpoint or copy it again')
    if not head.startswith(_TORCH_MAGIC):
        kind = 'a text file' if head.decode('latin-1').isprintable() \
            else 'not a PyTorch file'
        raise CheckpointFileError(
            f'checkpoint {filename!r} is {kind} (it starts with {head!r}), '
            'not a checkpoint written by torch.save: give a deblurkit .pth, '
            "the authors' .h5 or an MMagic .pth")


def safe_torch_load(filename, map_location='cpu'):
    """``torch.load`` with ``weights_only=True`` and our allowlist.

    Raises:
        FileNotFoundError: the file does not exist.
        CheckpointFileError: not a readable checkpoint file (a directory,
            empty, text, truncated or corrupt); the message says which.
        UnsafeCheckpointError: the file holds other pickled objects (it may
            try to run code); nothing of it has been executed.
    """
    filename = _local_path(filename)
    check_checkpoint_file(filename)
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            checkpoint = torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename!r}: it holds pickled '
            'objects that are not weights, tensors or training state '
            f'({_short(err)}). Nothing in it was run. If you trust the file '
            'and know what it holds, re-save its tensors with `torch.save('
            '{"state_dict": state_dict}, path)` in a trusted environment.'
        ) from None
    except (RuntimeError, EOFError, KeyError, ValueError, OSError) as err:
        raise CheckpointFileError(
            f'checkpoint {filename!r} is truncated or corrupt ({_short(err)}'
            '); use another checkpoint (e.g. an earlier iter_*.pth) or copy '
            'it again') from None
    if not isinstance(checkpoint, dict):
        raise CheckpointFileError(
            f'checkpoint {filename!r} holds a {type(checkpoint).__name__}, '
            'not a dict of weights: give a deblurkit .pth, the authors\' .h5 '
            'or an MMagic .pth')
    return checkpoint


def _short(err):
    first = str(err).strip().splitlines()
    for line in first:
        if 'GLOBAL' in line or 'Unsupported' in line:
            return line.strip()
    if first:
        return first[0].split('. ')[0]
    return type(err).__name__


@CheckpointLoader.register_scheme(prefixes=SCHEME)
def load_from_deblurkit(filename, map_location):
    """mmengine's loader for ``deblurkit://PATH``: :func:`safe_torch_load`."""
    return safe_torch_load(filename, map_location)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with all-or-nothing writes."""

    def put(self, obj, filepath):
        atomic_write(str(filepath), obj, 'wb')

    def put_text(self, obj, filepath, encoding='utf-8'):
        atomic_write(str(filepath), obj, 'w', encoding)


#: The name of :class:`AtomicLocalBackend` in mmengine's backend registry.
ATOMIC_BACKEND = 'deblurkit_atomic'
# force: the name is ours, and a re-imported module registers it again.
register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)
