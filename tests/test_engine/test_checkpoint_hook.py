"""DeblurCheckpointHook: a kill at any moment leaves a checkpoint to resume."""
import logging
import os
import os.path as osp

import pytest
import torch
from mmengine.logging import MessageHub

from deblurkit.engine import (DeblurCheckpointHook, atomic_write,
                              find_resume_checkpoint)


class Killed(BaseException):
    """A kill -9 as far as the hook can tell."""


class FakeRunner:
    """What CheckpointHook uses of a Runner; saves through atomic_write."""

    def __init__(self, work_dir, name):
        self.work_dir = str(work_dir)
        self.iter = 0
        self.epoch = 0
        self.message_hub = MessageHub.get_instance(name)
        self.logger = logging.getLogger(name)
        self.events = []
        self.kill_next_save = False

    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        path = osp.join(out_dir, filename)
        if self.kill_next_save:
            # Killed mid-write: atomic_write's temporary file is left.
            atomic_write(path + '.partial-check', b'')  # the folder works
            os.remove(path + '.partial-check')
            with open(osp.join(out_dir, f'.{filename}.k1ll3d.tmp'), 'wb') as f:
                f.write(b'PK\x03\x04half')
            raise Killed
        torch.save({'meta': dict(iter=self.iter), 'state_dict': {}}, path)
        self.events.append(('saved', filename))


def make_hook(runner, **kwargs):
    hook = DeblurCheckpointHook(interval=1, by_epoch=False, **kwargs)
    hook.before_train(runner)
    real_remove = hook.file_backend.remove

    def remove(path):
        runner.events.append(('removed', osp.basename(path)))
        real_remove(path)

    hook.file_backend.remove = remove
    return hook


def step(hook, runner, iters):
    runner.iter = iters - 1
    hook.after_train_iter(runner, batch_idx=iters - 1)


def last_checkpoint(runner):
    with open(osp.join(runner.work_dir, 'last_checkpoint')) as f:
        return osp.basename(f.read())


def test_keep_one_deletes_the_old_only_after_the_new_is_saved(tmp_path):
    runner = FakeRunner(tmp_path, 'keep_one')
    hook = make_hook(runner, max_keep_ckpts=1)
    step(hook, runner, 1)
    step(hook, runner, 2)
    assert runner.events == [('saved', 'iter_1.pth'), ('saved', 'iter_2.pth'),
                             ('removed', 'iter_1.pth')]
    assert sorted(os.listdir(tmp_path)) == ['iter_2.pth', 'last_checkpoint']
    # Killed while writing iter_3: iter_2 and its pointer are intact.
    runner.kill_next_save = True
    with pytest.raises(Killed):
        step(hook, runner, 3)
    assert osp.isfile(tmp_path / 'iter_2.pth')
    assert last_checkpoint(runner) == 'iter_2.pth'
    assert find_resume_checkpoint(str(tmp_path)) == str(tmp_path /
                                                         'iter_2.pth')
    # The next start removes the killed save's temporary file, only it.
    (tmp_path / '.notes.tmp').write_text('mine')
    (tmp_path / 'iter_7.pth.tmp').write_text('mine too')
    runner = FakeRunner(tmp_path, 'keep_one_again')
    make_hook(runner, max_keep_ckpts=1)
    assert sorted(os.listdir(tmp_path)) == [
        '.notes.tmp', 'iter_2.pth', 'iter_7.pth.tmp', 'last_checkpoint'
    ]


def test_last_checkpoint_is_replaced_atomically(tmp_path, monkeypatch):
    runner = FakeRunner(tmp_path, 'atomic_pointer')
    hook = make_hook(runner, max_keep_ckpts=2)
    step(hook, runner, 1)
    real_replace = os.replace

    def die_on_pointer(src, dst):
        if osp.basename(dst) == 'last_checkpoint':
            raise Killed
        real_replace(src, dst)

    monkeypatch.setattr(os, 'replace', die_on_pointer)
    with pytest.raises(Killed):
        step(hook, runner, 2)
    monkeypatch.undo()
    assert last_checkpoint(runner) == 'iter_1.pth'  # old pointer, whole
    assert sorted(os.listdir(tmp_path)) == [
        'iter_1.pth', 'iter_2.pth', 'last_checkpoint'
    ]


def best_hook(tmp_path, name):
    runner = FakeRunner(tmp_path, name)
    hook = make_hook(runner, max_keep_ckpts=1, save_best='PSNR',
                     rule='greater')
    runner.iter = 2
    hook._save_best_checkpoint(runner, {'PSNR': 20.0})
    runner.iter = 4
    return hook, runner


def test_previous_best_is_removed_after_the_new_best_is_saved(tmp_path):
    hook, runner = best_hook(tmp_path, 'best')
    hook._save_best_checkpoint(runner, {'PSNR': 21.0})
    assert runner.events == [('saved', 'best_PSNR_iter_2.pth'),
                             ('saved', 'best_PSNR_iter_4.pth'),
                             ('removed', 'best_PSNR_iter_2.pth')]
    assert sorted(os.listdir(tmp_path)) == ['best_PSNR_iter_4.pth']


def test_previous_best_survives_a_killed_best_save(tmp_path):
    hook, runner = best_hook(tmp_path, 'best_killed')
    runner.kill_next_save = True
    with pytest.raises(Killed):
        hook._save_best_checkpoint(runner, {'PSNR': 21.0})
    assert osp.isfile(tmp_path / 'best_PSNR_iter_2.pth')
    assert ('removed', 'best_PSNR_iter_2.pth') not in runner.events
