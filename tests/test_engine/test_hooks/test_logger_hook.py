"""DeblurLoggerHook: which training iterations get a log line."""
import logging
from types import SimpleNamespace

import pytest

from deblurkit.engine import DeblurLoggerHook
from deblurkit.engine.runner import STARTUP_DUMPS, StartupDumpFilter


class FakeRunner:
    """What LoggerHook reads of a runner, recording what it logs."""

    def __init__(self, max_iters, start=0, by_epoch=False):
        self.iter, self.max_iters = start, max_iters
        self.logged, self.steps = [], []
        self.timestamp = 'ts'
        self.work_dir = '.'
        self.experiment_name = 'exp'
        self.train_dataloader = list(range(10**6))  # never an epoch's end
        self.log_processor = SimpleNamespace(
            by_epoch=by_epoch, get_log_after_iter=self._line)
        self.logger = SimpleNamespace(info=self.logged.append)
        self.visualizer = SimpleNamespace(
            add_scalars=lambda tag, step, file_path: self.steps.append(step))

    def _line(self, runner, batch_idx, mode):
        return {}, f'Iter({mode}) [{self.iter + 1}/{self.max_iters}]'


def run(hook, runner):
    hook.before_run(runner)
    hook.before_train(runner)
    while runner.iter < runner.max_iters:
        hook.after_train_iter(runner, runner.iter)
        runner.iter += 1
    return runner.steps


def test_first_iterations_then_interval_then_last():
    steps = run(DeblurLoggerHook(interval=100, first_iters=10),
                FakeRunner(250))
    assert steps == list(range(1, 11)) + [100, 200, 250]


def test_resumed_run_logs_its_own_first_iterations():
    steps = run(DeblurLoggerHook(interval=100, first_iters=3),
                FakeRunner(420, start=195))
    assert steps == [196, 197, 198, 200, 300, 400, 420]


def test_first_iters_zero_is_mmengines_schedule_plus_the_last():
    runner = FakeRunner(25)
    assert run(DeblurLoggerHook(interval=10, first_iters=0),
               runner) == [10, 20, 25]
    assert runner.logged[-1] == 'Iter(train) [25/25]'


def test_a_run_shorter_than_the_interval_is_logged():
    assert run(DeblurLoggerHook(), FakeRunner(6)) == [1, 2, 3, 4, 5, 6]


def test_bad_first_iters():
    with pytest.raises(ValueError, match='first_iters'):
        DeblurLoggerHook(first_iters=-1)


@pytest.mark.parametrize('by_epoch', [False, True])
def test_validation_step_follows_the_log_processor(by_epoch):
    hook = DeblurLoggerHook()
    hook.before_run(FakeRunner(10, by_epoch=by_epoch))
    assert hook.log_metric_by_epoch is by_epoch
    explicit = DeblurLoggerHook(log_metric_by_epoch=True)
    explicit.before_run(FakeRunner(10, by_epoch=False))
    assert explicit.log_metric_by_epoch is True


def record(msg, level=logging.INFO):
    return logging.LogRecord('x', level, __file__, 1, msg, None, None)


def test_startup_dump_filter():
    keep = StartupDumpFilter().filter
    for prefix in STARTUP_DUMPS:
        assert not keep(record(prefix + ' and more'))
        assert keep(record(prefix + ' and more', logging.WARNING))
    assert keep(record('Iter(train) [1/6]  eta: 0:00:10'))
