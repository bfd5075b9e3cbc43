"""mmengine's LoggerHook, with losses from the first iterations on."""
from mmengine.hooks import LoggerHook

from deblurkit.registry import HOOKS


@HOOKS.register_module()
class DeblurLoggerHook(LoggerHook):
    """Log every one of the first ``first_iters`` training iterations of a
    run (also of a resumed one) and the last, then every ``interval``.

    mmengine's hook logs every ``interval`` iterations only: with the usual
    100 a CPU run shows no loss for minutes and a run shorter than that
    none at all. Each log line carries the ETA (from ``IterTimerHook``);
    the values are averaged over ``log_processor.window_size`` iterations
    (fewer at the start). Every logged line also goes to
    ``vis_data/scalars.json``.

    Validation metrics are logged at the iteration of the validation
    (``step`` in ``scalars.json`` and TensorBoard) when the log processor
    counts iterations (``log_processor.by_epoch=False``, as deblurkit's
    configs do); mmengine's hook logs them at epoch 0 of an
    iteration-based run.

    Args:
        interval (int): Iterations between log lines after the first ones.
            Defaults to 100.
        first_iters (int): Iterations logged one by one at the start of a
            run. Defaults to 10; 0 logs as mmengine's ``LoggerHook``
            (plus the last iteration).
        log_metric_by_epoch (bool | None): As mmengine's; None (default)
            follows ``log_processor.by_epoch``.
        **kwargs: The other arguments of mmengine's ``LoggerHook``.
    """

    def __init__(self, interval=100, first_iters=10,
                 log_metric_by_epoch=None, **kwargs):
        super().__init__(interval=interval, **kwargs)
        self.log_metric_by_epoch = log_metric_by_epoch
        if not isinstance(first_iters, int) or first_iters < 0:
            raise ValueError('DeblurLoggerHook: first_iters must be an int '
                             f'>= 0, got {first_iters!r}')
        self.first_iters = first_iters
        self._start_iter = 0

    def before_run(self, runner):
        super().before_run(runner)
        if self.log_metric_by_epoch is None:
            self.log_metric_by_epoch = runner.log_processor.by_epoch

    def before_train(self, runner):
        # After load_or_resume: a resumed run starts at its checkpoint.
        self._start_iter = runner.iter

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        done = runner.iter + 1
        extra = (done - self._start_iter <= self.first_iters
                 or done == runner.max_iters)
        if not extra or self.every_n_inner_iters(batch_idx, self.interval):
            # mmengine's own schedule (and its experiment-name lines).
            super().after_train_iter(runner, batch_idx, data_batch, outputs)
            return
        tag, log_str = runner.log_processor.get_log_after_iter(
            runner, batch_idx, 'train')
        runner.logger.info(log_str)
        runner.visualizer.add_scalars(
            tag, step=done, file_path=self.json_log_path)
