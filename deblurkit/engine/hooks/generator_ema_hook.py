"""An exponential moving average of the generator's weights only."""
from mmengine.hooks import Hook
from mmengine.model import ExponentialMovingAverage, is_model_wrapper

from deblurkit.registry import HOOKS

PREFIX = 'generator.'
CHECKPOINT_KEY = 'generator_ema'


def _generator(runner):
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    generator = getattr(model, 'generator', None)
    if generator is None:
        raise AttributeError('GeneratorEMAHook: the model has no '
                             '`generator` to average')
    return getattr(generator, 'module', generator)


@HOOKS.register_module()
class GeneratorEMAHook(Hook):
    """Keep an exponential moving average (EMA) of the generator's weights.

    mmengine's ``EMAHook`` averages the whole model (the discriminator and
    its optimizer-facing copies included); a GAN only needs the generator
    averaged. After every training iteration ``avg = (1 - momentum) * avg +
    momentum * weights`` for each parameter of ``model.generator`` (the
    first update copies the weights), through mmengine's
    ``ExponentialMovingAverage``. Buffers (running statistics) are copied,
    not averaged.

    Where the average is used:

    - validation and testing run the averaged generator (its weights are
      swapped in for the epoch and swapped back after);
    - checkpoints hold the averaged generator under the usual
      ``state_dict['generator.*']`` keys, so every inference tool loads the
      averaged weights without knowing about EMA; the raw (trained)
      generator weights are kept for resuming under
      ``checkpoint['generator_ema']``: ``{'raw': {name: tensor}, 'steps':
      tensor}`` (names without the ``generator.`` prefix, tensors only, so
      the file loads with ``torch.load(weights_only=True)``);
    - ``--resume`` restores both: the averaged copy from ``state_dict`` and
      the raw weights the training continues from. A checkpoint written
      without EMA starts the average from its weights.

    Config (off unless added)::

        custom_hooks = [dict(type='GeneratorEMAHook', momentum=0.001)]

    Args:
        momentum (float): Weight of the current weights in each update, in
            (0, 1). Default: 0.001 (an average over about 1000 iterations).
        interval (int): Update every ``interval`` iterations. Default: 1.
        begin_iter (int): Before this iteration the average just follows
            the weights (it is reset to them). Default: 0.
    """

    priority = 'NORMAL'

    def __init__(self, momentum=0.001, interval=1, begin_iter=0):
        if not 0 < momentum < 1:
            raise ValueError('GeneratorEMAHook: momentum must be in (0, 1), '
                             f'got {momentum!r}')
        if isinstance(interval, bool) or not isinstance(
                interval, int) or interval < 1:
            raise ValueError('GeneratorEMAHook: interval must be a positive '
                             f'integer, got {interval!r}')
        if isinstance(begin_iter, bool) or not isinstance(
                begin_iter, int) or begin_iter < 0:
            raise ValueError('GeneratorEMAHook: begin_iter must be an '
                             f'integer >= 0, got {begin_iter!r}')
        self.momentum = momentum
        self.interval = interval
        self.begin_iter = begin_iter
        self.ema = None
        self._swapped = False

    # ------------------------------------------------------------ the copy
    def before_run(self, runner):
        generator = _generator(runner)
        self.ema = ExponentialMovingAverage(
            generator, momentum=self.momentum, interval=self.interval,
            update_buffers=False)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        generator = _generator(runner)
        if runner.iter + 1 <= self.begin_iter:
            # Follow the weights until the averaging begins.
            self.ema.steps.zero_()
        self.ema.update_parameters(generator)

    def _swap(self, runner):
        """Exchange the generator's parameters with the averaged ones."""
        generator = _generator(runner)
        for param, averaged in zip(generator.parameters(),
                                   self.ema.module.parameters()):
            held = param.data
            param.data = averaged.data
            averaged.data = held
        self._swapped = not self._swapped

    # ---------------------------------------------------- validation, test
    def before_val_epoch(self, runner):
        self._swap(runner)

    def after_val_epoch(self, runner, metrics=None):
        if self._swapped:
            self._swap(runner)

    def before_test_epoch(self, runner):
        # Only when this run trained: a checkpoint loaded for testing
        # already holds the averaged generator in its state_dict.
        if int(self.ema.steps) > 0:
            self._swap(runner)

    def after_test_epoch(self, runner, metrics=None):
        if self._swapped:
            self._swap(runner)

    # --------------------------------------------------------- checkpoints
    def before_save_checkpoint(self, runner, checkpoint):
        state = checkpoint['state_dict']
        raw = {}
        for name, averaged in self.ema.module.state_dict().items():
            key = PREFIX + name
            if key in state:
                raw[name] = state[key]
                state[key] = averaged.detach().clone().cpu()
        checkpoint[CHECKPOINT_KEY] = dict(
            raw=raw, steps=self.ema.steps.detach().clone().cpu())

    def after_load_checkpoint(self, runner, checkpoint):
        state = checkpoint['state_dict']
        averaged = {
            key[len(PREFIX):]: value
            for key, value in state.items() if key.startswith(PREFIX)
        }
        self.ema.module.load_state_dict(averaged, strict=False)
        saved = checkpoint.get(CHECKPOINT_KEY)
        if saved is not None and runner._resume:
            # Training continues from the raw weights; the model loads the
            # state_dict after this hook, so put them back there.
            for name, value in saved['raw'].items():
                state[PREFIX + name] = value
            self.ema.steps.copy_(saved['steps'])
        else:
            # A checkpoint without EMA (or loaded with load_from): the
            # average starts from its weights.
            self.ema.steps.fill_(1)
