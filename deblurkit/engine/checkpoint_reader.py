"""deblurkit's one checkpoint reader: every tool loads weights through here.

``tools/train.py`` (``load_from`` and ``--resume``, through
:class:`~deblurkit.engine.runner.DeblurRunner`), ``tools/test.py`` (the same
runner), :func:`deblurkit.apis.init_model` and so ``tools/deblur.py``, the
exporter and the benchmark all accept the same files and refuse the same
ones:

- accepted: deblurkit checkpoints (``generator.*`` keys, whatever the
  generator, also as written by distributed training with the DDP wrapper's
  ``module.`` inside), the authors' ``.h5`` files (``{'model': ...}`` with
  ``module.fpn.*`` keys) and MMagic's republication;
- refused with one line naming the file and what to do: a path that is
  missing, a directory, empty, text, truncated or corrupt
  (:class:`~deblurkit.engine.checkpoint.CheckpointFileError`), a file holding
  pickled objects (:class:`~deblurkit.engine.checkpoint.UnsafeCheckpointError`,
  nothing in it runs), a checkpoint whose generator does not fit the config
  (:class:`CheckpointLayoutError` naming missing, unexpected and mis-shaped
  keys) or holds NaN/inf values (:class:`NonFiniteCheckpointError`).

The generator and the discriminator are loaded by separate functions,
:func:`load_generator_weights` and :func:`load_discriminator_weights`.
"""
import os
import os.path as osp
import re
import zipfile

import torch
from mmengine.model import is_model_wrapper

from .checkpoint import (CheckpointFileError, UnsafeCheckpointError,
                         check_checkpoint_file, safe_torch_load)


class NonFiniteCheckpointError(ValueError):
    """A checkpoint whose generator weights hold NaN or infinite values."""


def _layout_error():
    # deblurkit.models imports every model part; only needed when loading.
    from deblurkit.models.generators import CheckpointLayoutError
    return CheckpointLayoutError


def checkpoint_errors():
    """The exceptions that mean "this checkpoint cannot be used".

    Tools catch these and print their one-line message (exit status 2).
    """
    return (FileNotFoundError, CheckpointFileError, UnsafeCheckpointError,
            NonFiniteCheckpointError, _layout_error())


def read_checkpoint(checkpoint, map_location='cpu'):
    """The dict in a checkpoint file, loaded with ``weights_only=True``.

    Args:
        checkpoint (str | dict): A path, or what ``torch.load`` returned
            (passed through).
        map_location: As for ``torch.load``.
    """
    if isinstance(checkpoint, dict):
        return checkpoint
    return safe_torch_load(checkpoint, map_location=map_location)


def _part(module):
    return module.module if is_model_wrapper(module) else module


def model_state(checkpoint, source='checkpoint', arch=None):
    """``(state, info)``: the checkpoint's weights in deblurkit's layout.

    See :func:`deblurkit.models.generators.model_state_from_checkpoint`.
    """
    from deblurkit.models.generators import model_state_from_checkpoint
    try:
        return model_state_from_checkpoint(checkpoint, arch)
    except _layout_error() as err:
        raise _layout_error()(f'{source}: {err}') from None


def _sub_state(state, prefix):
    return {k[len(prefix):]: v for k, v in state.items()
            if k.startswith(prefix)}


def check_state_fits(module, state, source, what, hint):
    """Raise :class:`CheckpointLayoutError` unless ``state`` fits ``module``.

    The message names the missing, unexpected and mis-shaped keys.
    """
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = [
        f'{k}: checkpoint {tuple(state[k].shape)} vs model '
        f'{tuple(own[k].shape)}' for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or mismatched:
        raise _layout_error()(
            f'{source} does not fit the {what} of this config: '
            f'{len(missing)} missing keys {missing[:5]}, {len(unexpected)} '
            f'unexpected keys {unexpected[:5]}, {len(mismatched)} shape '
            f'mismatches {mismatched[:3]}. {hint}')


def check_finite(state, source, what='generator'):
    """Raise :class:`NonFiniteCheckpointError` if a tensor holds NaN/inf."""
    bad = [k for k, v in state.items()
           if torch.is_tensor(v) and v.is_floating_point()
           and not bool(torch.isfinite(v).all())]
    if bad:
        raise NonFiniteCheckpointError(
            f'{source}: {len(bad)} of {len(state)} {what} tensors hold NaN '
            f'or infinite values ({", ".join(bad[:3])}'
            f'{", ..." if len(bad) > 3 else ""}); the training diverged '
            'before this save: use an earlier checkpoint')


def load_generator_weights(model, checkpoint, arch=None, source=None):
    """Load the generator weights of any known layout into ``model``.

    Only the generator: :func:`load_discriminator_weights` loads the
    discriminator. The checkpoint must fit the config's generator exactly
    and hold finite values.

    Args:
        model (nn.Module): A model with a ``generator`` (DDP-wrapped or not).
        checkpoint (str | dict): A path, or what ``torch.load`` returned.
        arch (str, optional): Backbone of an official checkpoint.
        source (str, optional): How to name the checkpoint in errors.

    Returns:
        dict: ``layout`` (and ``arch`` for official ones) of the source.
    """
    if source is None:
        source = checkpoint if isinstance(checkpoint, str) else 'checkpoint'
    state, info = model_state(read_checkpoint(checkpoint), source, arch)
    generator_state = _sub_state(state, 'generator.')
    generator = _part(model.generator)
    check_state_fits(
        generator, generator_state, f'{source} ({info["layout"]} layout)',
        'generator', 'Check that the config matches the checkpoint (the '
        'generator type and its options, e.g. backbone, num_filters, '
        'conv_type).')
    check_finite(generator_state, source)
    generator.load_state_dict(generator_state)
    return info


def load_discriminator_weights(model, checkpoint, source=None):
    """Load the discriminator of a deblurkit checkpoint into ``model``.

    Raises:
        CheckpointLayoutError: the model has no discriminator, the checkpoint
            holds none (official and MMagic files hold only the generator),
            or its keys do not fit (named).
    """
    if source is None:
        source = checkpoint if isinstance(checkpoint, str) else 'checkpoint'
    state, info = model_state(read_checkpoint(checkpoint), source)
    disc_state = _sub_state(state, 'discriminator.')
    if getattr(model, 'discriminator', None) is None:
        raise _layout_error()(f'{source}: this model has no discriminator '
                              'to load')
    if not disc_state:
        raise _layout_error()(
            f'{source} ({info["layout"]} layout) holds no discriminator '
            'weights')
    disc = _part(model.discriminator)
    check_state_fits(disc, disc_state, f'{source}', 'discriminator',
                     'Check model.discriminator of the config.')
    disc.load_state_dict(disc_state)
    return info


_STEP = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


def is_complete_checkpoint(path):
    """Cheap check that ``path`` is a whole checkpoint file.

    A zip checkpoint cut short has no central directory; a legacy one is
    only checked for its magic bytes. Nothing is unpickled.
    """
    try:
        check_checkpoint_file(path)
    except (OSError, CheckpointFileError):
        return False
    if not zipfile.is_zipfile(path):
        with open(path, 'rb') as f:
            return f.read(1) == b'\x80'
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith('/data.pkl') or n == 'data.pkl'
                       for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def find_resume_checkpoint(work_dir, warn=print):
    """The newest complete checkpoint to resume from in ``work_dir``.

    ``last_checkpoint`` is trusted when it names a complete file; otherwise
    (missing, truncated, unreadable, empty pointer) ``warn`` is called with
    the reason and the newest complete ``iter_*.pth`` / ``epoch_*.pth`` of
    ``work_dir`` is taken. None when there is none.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    named = None
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip() or None
        if named and is_complete_checkpoint(named):
            return named
    candidates = []
    if osp.isdir(work_dir):
        for name in os.listdir(work_dir):
            match = _STEP.match(name)
            if match:
                candidates.append((int(match.group(1)), name))
    for _, name in sorted(candidates, reverse=True):
        path = osp.join(work_dir, name)
        if is_complete_checkpoint(path):
            if named:
                warn(f'{pointer} names {named}, which is missing or '
                     f'incomplete; resuming from {path}, the newest complete '
                     'checkpoint')
            return path
    if named:
        warn(f'{pointer} names {named}, which is missing or incomplete, '
             f'and {work_dir} holds no complete iter_*.pth or epoch_*.pth')
    return None
