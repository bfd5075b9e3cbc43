"""Test helper: every rank saves its generator parameters at chosen points."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from deblurkit.registry import HOOKS


@HOOKS.register_module()
class RankDumpHook(Hook):
    """Save ``{name: tensor}`` of the generator's parameters per rank.

    Files: ``<work_dir>/rank<r>_<tag>.pth`` with tag ``init`` (before
    training), ``iter<k>`` (after k iterations, for k in ``after_iters``).
    """

    def __init__(self, after_iters=(2, 4)):
        self.after_iters = tuple(after_iters)

    def _dump(self, runner, tag):
        model = getattr(runner.model, 'module', runner.model)
        generator = getattr(model.generator, 'module', model.generator)
        params = {
            k: v.detach().cpu().clone()
            for k, v in generator.named_parameters()
        }
        torch.save(params,
                   osp.join(runner.work_dir, f'rank{get_rank()}_{tag}.pth'))

    def before_train(self, runner):
        self._dump(runner, 'init')

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        done = runner.iter + 1
        if done in self.after_iters:
            self._dump(runner, f'iter{done}')
