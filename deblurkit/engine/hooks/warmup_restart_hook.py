"""The official schedule's fresh generator scheduler at the end of warm-up."""
from mmengine.hooks import Hook

from deblurkit.registry import HOOKS


@HOOKS.register_module()
class WarmupRestartHook(Hook):
    """Restart the generator's learning-rate schedule when warm-up ends.

    The official ``train.py`` unfreezes the backbone after its warm-up
    epochs and builds a fresh optimizer *and a fresh scheduler* for the
    generator, whose epoch count starts again from zero, so the generator's
    linear decay begins ``warmup`` epochs after the discriminator's. The
    model (``DeblurGANv2(restart_optimizer_after_warmup=True)``) clears the
    generator's optimizer state at iteration ``warmup_iters``; this hook, at
    the start of that same iteration, puts the generator's parameter
    schedulers back to their first step and the generator's learning rate
    back to its initial value, as freshly built ones would be. The
    discriminator's schedule runs on untouched.

    It does nothing unless the model asks for the restart, and the
    schedulers' counters are saved in checkpoints, so ``--resume`` on either
    side of the boundary continues the same schedule.
    """

    priority = 'NORMAL'

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = getattr(runner.model, 'module', runner.model)
        warmup = getattr(model, 'warmup_iters', 0)
        if not getattr(model, 'restart_optimizer_after_warmup', False) or \
                warmup <= 0 or runner.iter != warmup:
            return
        schedulers = runner.param_schedulers
        if not isinstance(schedulers, dict):
            return  # one optimizer: no generator schedule of its own
        optim = runner.optim_wrapper['generator'].optimizer
        for group in optim.param_groups:
            if 'initial_lr' in group:
                group['lr'] = group['initial_lr']
        for scheduler in schedulers.get('generator', []):
            # What _ParamScheduler.__init__ does: counters at -1, one step.
            scheduler._global_step = -1
            scheduler.last_step = -1
            scheduler.step()
