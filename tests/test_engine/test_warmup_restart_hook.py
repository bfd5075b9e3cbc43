"""WarmupRestartHook: the generator's schedule starts again after warm-up."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.optim.scheduler import LinearLR

from deblurkit.engine.hooks import WarmupRestartHook


def lr_trace(restart, warmup=2, iters=10):
    params = {n: torch.nn.Parameter(torch.zeros(1)) for n in ('g', 'd')}
    optims = {n: torch.optim.SGD([p], lr=1.0) for n, p in params.items()}
    schedulers = {
        n: [LinearLR(o, start_factor=1.0, end_factor=0.5, begin=4, end=8)]
        for n, o in optims.items()
    }
    names = {'g': 'generator', 'd': 'discriminator'}
    runner = SimpleNamespace(
        model=SimpleNamespace(warmup_iters=warmup,
                              restart_optimizer_after_warmup=restart),
        optim_wrapper=OptimWrapperDict(
            **{names[n]: OptimWrapper(o) for n, o in optims.items()}),
        param_schedulers={names[n]: s for n, s in schedulers.items()},
        iter=0)
    hook = WarmupRestartHook()
    trace = []
    for it in range(iters):
        runner.iter = it
        hook.before_train_iter(runner, it)
        trace.append((optims['g'].param_groups[0]['lr'],
                      optims['d'].param_groups[0]['lr']))
        for n in optims:
            optims[n].step()
            schedulers[n][0].step()
    return trace


def test_generator_schedule_is_shifted_by_the_warmup():
    trace = lr_trace(restart=True)
    g = [lr for lr, _ in trace]
    d = [lr for _, lr in trace]
    # The discriminator decays from iteration 4 on, the generator from 6.
    assert d[:5] == [1.0] * 5 and d[5] < 1.0
    assert g[:7] == [1.0] * 7 and g[7] < 1.0
    assert g[2:] == pytest.approx(d[:-2])


def test_nothing_changes_without_the_restart():
    trace = lr_trace(restart=False)
    assert [g for g, _ in trace] == [d for _, d in trace]
