"""mmengine's CheckpointHook, made so that a kill never loses the last
complete checkpoint."""
import os
import os.path as osp
import re

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from deblurkit.registry import HOOKS
from ..checkpoint import ATOMIC_BACKEND, atomic_write

# Temporary files of atomic_write (``.<name>.<random>.tmp``) for the files
# this hook writes: what a save killed before its rename leaves behind.
_STALE_TMP = re.compile(
    r'^\.(?:(?:iter|epoch)_\d+\.pth|best_.+\.pth|last_checkpoint)\..+\.tmp$')


def remove_stale_temp_files(folder):
    """Remove the temporary files of killed checkpoint saves in ``folder``.

    Returns:
        list[str]: The removed paths.
    """
    removed = []
    if not osp.isdir(folder):
        return removed
    for name in sorted(os.listdir(folder)):
        path = osp.join(folder, name)
        if _STALE_TMP.match(name) and osp.isfile(path) and \
                not osp.islink(path):
            os.remove(path)
            removed.append(path)
    return removed


class _DeferredRemovals:
    """A file backend whose ``remove``/``rmtree`` wait until :meth:`flush`."""

    def __init__(self, backend):
        self.backend = backend
        self.pending = []

    def remove(self, path):
        self.pending.append(path)

    def rmtree(self, path):
        self.pending.append(path)

    def __getattr__(self, name):
        return getattr(self.backend, name)


@HOOKS.register_module()
class DeblurCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that keeps the previous checkpoint until the new
    one is complete.

    mmengine's hook, with ``max_keep_ckpts=N``, deletes the oldest checkpoint
    before writing the new one and writes ``last_checkpoint`` in place, so a
    run killed while saving can be left with no checkpoint to resume from.
    Here, for every save (periodic and best):

    1. the new checkpoint is written (to a temporary name, then renamed:
       see :class:`~deblurkit.engine.checkpoint.AtomicLocalBackend`);
    2. ``last_checkpoint`` is replaced atomically to name it;
    3. only then are the checkpoints beyond ``max_keep_ckpts`` (or the
       previous best) removed.

    At the start of training (main process) the temporary files of saves
    killed before their rename are removed from the checkpoint folder and
    the work dir. Options are mmengine's; without ``backend_args`` (or
    ``file_client_args``) a local ``out_dir`` is written through
    :data:`~deblurkit.engine.checkpoint.ATOMIC_BACKEND`.
    """

    def __init__(self, *args, out_dir=None, file_client_args=None,
                 backend_args=None, **kwargs):
        if (backend_args is None and file_client_args is None
                and '://' not in str(out_dir or '')):
            backend_args = dict(backend=ATOMIC_BACKEND)
        super().__init__(*args, out_dir=out_dir,
                         file_client_args=file_client_args,
                         backend_args=backend_args, **kwargs)

    def before_train(self, runner):
        super().before_train(runner)
        if not is_main_process():
            return
        removed = []
        for folder in dict.fromkeys([self.out_dir, runner.work_dir]):
            if isinstance(folder, str):
                removed += remove_stale_temp_files(folder)
        if removed:
            runner.logger.info(
                f'Removed {len(removed)} temporary file(s) of interrupted '
                f'checkpoint saves: {", ".join(map(osp.basename, removed))}')

    def _outdated_steps(self, runner, step):
        """Record ``step`` as kept; the steps that drop out of the N kept."""
        if self.max_keep_ckpts <= 0:
            return []
        kept = self.keep_ckpt_ids
        if kept and kept[-1] == step:  # saved again (e.g. a new best)
            return []
        outdated = []
        while len(kept) >= self.max_keep_ckpts:
            outdated.append(kept.popleft())
        kept.append(step)
        runner.message_hub.update_info('keep_ckpt_ids', list(kept))
        return outdated

    def _remove_checkpoint(self, path):
        if path in (self.last_ckpt, getattr(self, 'best_ckpt_path', None)) or path in getattr(
                self, 'best_ckpt_path_dict', {}).values():
            return  # just written under the same name: keep it
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step, meta):
        outdated = self._outdated_steps(runner, step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt, 'w')
        for old in outdated:
            self._remove_checkpoint(
                self.file_backend.join_path(self.out_dir,
                                            self.filename_tmpl.format(old)))

    def _save_best_checkpoint(self, runner, metrics):
        # mmengine removes the previous best before saving the new one; hold
        # every removal back until the saves of this call are done.
        backend = self.file_backend
        deferred = _DeferredRemovals(backend)
        self.file_backend = deferred
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        for path in deferred.pending:
            self._remove_checkpoint(path)
