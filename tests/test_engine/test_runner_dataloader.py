"""DeblurRunner.build_dataloader: workers at low CPU priority, seeding kept."""
import os

import numpy as np
import pytest
from torch.utils.data import Dataset

from deblurkit.engine.runner import (DEFAULT_WORKER_NICENESS, DeblurRunner,
                                     LowPriorityWorkerInit)

pytestmark = pytest.mark.skipif(not hasattr(os, 'nice'),
                                reason='os.nice is Unix only')


class _WorkerState(Dataset):
    """Each item: the worker's niceness and a draw of numpy's generator."""

    def __len__(self):
        return 2

    def __getitem__(self, index):
        return os.nice(0), float(np.random.rand())


def _loader(**extra):
    cfg = dict(
        dataset=_WorkerState(),
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_size=1,
        num_workers=1,
        **extra)
    return DeblurRunner.build_dataloader(cfg, seed=5)


def _items(loader):
    # pseudo_collate (mmengine's default) keeps each field as a tuple
    return [(int(n[0]), float(r[0])) for n, r in loader]


def test_workers_run_at_niceness_19_with_mmengine_seeding():
    base = os.nice(0)
    loader = _loader()
    assert isinstance(loader.worker_init_fn, LowPriorityWorkerInit)
    assert loader.worker_init_fn.niceness == DEFAULT_WORKER_NICENESS == 19
    items = _items(loader)
    assert [n for n, _ in items] == [min(19, base + 19)] * 2
    # mmengine's worker_init_fn still seeds numpy: worker 0 of 1, rank 0,
    # seed 5 -> np.random.seed(5), the same draws every epoch.
    expected = np.random.RandomState(5).rand(2).tolist()
    assert [r for _, r in items] == pytest.approx(expected)
    assert _items(loader) == items
    assert os.nice(0) == base  # the training process keeps its priority


def test_worker_niceness_key_sets_or_disables_it():
    base = os.nice(0)
    loader = _loader(worker_niceness=3)
    assert [n for n, _ in _items(loader)] == [min(19, base + 3)] * 2
    loader = _loader(worker_niceness=0)
    assert not isinstance(loader.worker_init_fn, LowPriorityWorkerInit)
    assert [n for n, _ in _items(loader)] == [base] * 2
    loader = _loader(worker_niceness=None)
    assert [n for n, _ in _items(loader)] == [base] * 2


@pytest.mark.parametrize('value', [20, -1, 2.5, True, '19'])
def test_bad_worker_niceness_names_the_key(value):
    with pytest.raises(ValueError, match='worker_niceness'):
        _loader(worker_niceness=value)


def test_no_workers_no_wrapper():
    cfg = dict(
        dataset=_WorkerState(),
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_size=1,
        num_workers=0)
    loader = DeblurRunner.build_dataloader(cfg, seed=5)
    assert loader.worker_init_fn is None or not isinstance(
        loader.worker_init_fn, LowPriorityWorkerInit)
    assert [n for n, _ in _items(loader)] == [os.nice(0)] * 2
