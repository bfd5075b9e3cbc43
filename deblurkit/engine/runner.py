"""mmengine's Runner with deblurkit's checkpoint reader.

``configs/_base_/default_runtime.py`` sets ``runner_type = 'DeblurRunner'``
(and :func:`~deblurkit.engine.runner_config.load_runner_config` sets it for
configs that do not), and the tools build the runner with
:func:`build_runner`. So ``load_from`` (fine-tuning), ``resume`` and
``tools/test.py`` read checkpoints through
:mod:`deblurkit.engine.checkpoint_reader` without changing mmengine's own
loaders for other libraries in the process:

- ``load_from``: any file :func:`deblurkit.apis.init_model` accepts (the
  authors' ``.h5`` included). The generator must fit and load entirely (a
  file that loads nothing of it is an error); the discriminator is loaded
  when the file holds one that fits, else it keeps its initialisation (a
  warning says so);
- ``resume``: a deblurkit training checkpoint (generator, discriminator,
  optimizers, schedulers, iteration); without a path, the newest complete
  checkpoint of the work dir (``last_checkpoint`` when it names a complete
  file, else the newest complete ``iter_*.pth``, with a warning).

Dataloader workers run at the lowest CPU priority (niceness 19 by
default; ``worker_niceness`` in a dataloader's config sets it, ``0`` or
``None`` leaves them at the trainer's): on a CPU the model's threads use
every core, and a worker decoding the next batch at the same priority takes
a core from them in the middle of a parallel operator, which then waits for
it. At the lowest priority the workers load in the cores' idle moments (and
get the CPU anyway when the model waits for data). It changes what runs
when, not what is computed. See :class:`LowPriorityWorkerInit`.

The environment, the config and the hook order that mmengine logs when a
runner starts (hundreds of lines) go to the log file only,
``<work_dir>/<timestamp>/<timestamp>.log``, unless the config sets
``log_dump_on_console = True`` (``--verbose`` of tools/train.py and
tools/test.py).
"""
import logging
import os

from mmengine.logging import print_log
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_state_dict

from deblurkit.registry import RUNNERS
from .checkpoint_reader import (_layout_error, _part, _sub_state,
                                find_resume_checkpoint,
                                load_discriminator_weights,
                                load_generator_weights, model_state,
                                read_checkpoint)


#: How mmengine's start-up dumps begin (INFO messages of its Runner):
#: the environment, the config, the hook order, the note on SyncBN.
STARTUP_DUMPS = ('\n' + '-' * 60 + '\nSystem environment:', 'Config:\n',
                 'Hooks will be executed in the following order:',
                 'Distributed training is not used')


class StartupDumpFilter(logging.Filter):
    """Drops :data:`STARTUP_DUMPS` from a handler (warnings pass)."""

    def filter(self, record):
        return (record.levelno > logging.INFO
                or not str(record.msg).startswith(STARTUP_DUMPS))


def keep_startup_dumps_off_console(logger):
    """Filter :data:`STARTUP_DUMPS` out of ``logger``'s console handlers
    (its file handlers keep them). Returns the log file, or None."""
    log_file = None
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            log_file = handler.baseFilename
        elif isinstance(handler, logging.StreamHandler) and not any(
                isinstance(f, StartupDumpFilter) for f in handler.filters):
            handler.addFilter(StartupDumpFilter())
    return log_file


#: Niceness of dataloader workers unless a dataloader's config sets
#: ``worker_niceness`` (the lowest priority Linux has).
DEFAULT_WORKER_NICENESS = 19


def check_worker_niceness(value):
    """``value`` if it is None or an int from 0 to 19, else a ValueError
    naming the key."""
    if value is None or (isinstance(value, int)
                         and not isinstance(value, bool) and
                         0 <= value <= 19):
        return value
    raise ValueError('worker_niceness must be an integer '
                     f'from 0 to 19 or None, got {value!r}')


class LowPriorityWorkerInit:
    """A dataloader's ``worker_init_fn`` that lowers the worker's CPU
    priority (``os.nice``), then runs the loader's own ``worker_init_fn``
    (mmengine's seeding).

    Measured on the 2-core training benchmark (256x256 GoPro iteration, 4
    workers decoding 720x1280 PNG pairs, 40 interleaved pairs in one
    process): at the trainer's priority, iterations fed by the workers took
    a median 8% longer than the same iterations on batches loaded
    beforehand; at niceness 19, 0% (docs/benchmarks.md).

    Args:
        worker_init_fn (callable | None): The loader's own function.
        niceness (int): Added to the worker's niceness (the kernel caps the
            sum at 19). Platforms without ``os.nice`` skip it.
    """

    def __init__(self, worker_init_fn, niceness):
        self.worker_init_fn = worker_init_fn
        self.niceness = niceness

    def __call__(self, worker_id):
        if self.niceness and hasattr(os, 'nice'):
            try:
                os.nice(self.niceness)
            except OSError:  # not allowed here: keep the priority
                pass
        if self.worker_init_fn is not None:
            self.worker_init_fn(worker_id)


@RUNNERS.register_module()
class DeblurRunner(Runner):
    """A Runner whose checkpoints are read by deblurkit's one reader, and
    whose start-up dumps stay off the console (see the module's doc)."""

    _resuming = False

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        """mmengine's ``build_dataloader``, with the workers at
        ``worker_niceness`` (a key of the dataloader's config; default
        :data:`DEFAULT_WORKER_NICENESS`; see the module's doc)."""
        niceness = DEFAULT_WORKER_NICENESS
        if isinstance(dataloader, dict):
            dataloader = dict(dataloader)
            niceness = check_worker_niceness(
                dataloader.pop('worker_niceness', niceness))
        loader = Runner.build_dataloader(dataloader, seed, diff_rank_seed)
        if niceness and getattr(loader, 'num_workers', 0) > 0 and not \
                isinstance(loader.worker_init_fn, LowPriorityWorkerInit):
            loader.worker_init_fn = LowPriorityWorkerInit(
                loader.worker_init_fn, niceness)
        return loader

    def build_logger(self, log_level='INFO', log_file=None, **kwargs):
        logger = super().build_logger(log_level, log_file, **kwargs)
        if not self.cfg.get('log_dump_on_console', False):
            log_file = keep_startup_dumps_off_console(logger)
            if log_file:
                logger.info(f'Environment, config and hooks: {log_file} '
                            '(--verbose prints them here)')
        return logger

    def load_or_resume(self):
        if self._has_loaded:
            return None
        if self._resume and self._load_from is None:
            found = find_resume_checkpoint(
                self.work_dir, lambda msg: self.logger.warning(msg))
            if found is None:
                self.logger.info(f'No checkpoint to resume from in '
                                 f'{self.work_dir}; training from the start.')
            else:
                self.logger.info(f'Resuming from {found}.')
                self.resume(found)
        elif self._resume:
            self.resume(self._load_from)
        elif self._load_from is not None:
            self.load_checkpoint(self._load_from)

    def resume(self, filename, *args, **kwargs):
        self._resuming = True
        try:
            return super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_checkpoint(self, filename, map_location='cpu', strict=False,
                        revise_keys=None):
        """Load ``filename`` (any layout of the reader) into the model.

        ``strict`` and ``revise_keys`` of mmengine's method are not used:
        the generator always has to fit exactly, and wrappers' ``module.``
        prefixes are handled by the reader.
        """
        checkpoint = read_checkpoint(filename, map_location)
        source = str(filename)
        if self._resuming and not isinstance(checkpoint.get('meta'), dict):
            raise _layout_error()(
                f'{source} holds no training state (only weights), so '
                'training cannot resume from it; fine-tune from it with '
                f'--cfg-options load_from={source} instead of --resume')
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = _part(self.model)
        state, info = model_state(checkpoint, source)
        load_generator_weights(model, checkpoint, source=source)
        disc_state = _sub_state(state, 'discriminator.')
        if getattr(model, 'discriminator', None) is not None:
            if self._resuming or disc_state:
                try:
                    load_discriminator_weights(model, checkpoint, source)
                except _layout_error() as err:
                    if self._resuming:
                        raise
                    self.logger.warning(
                        f'{err}; the discriminator keeps its initial '
                        'weights')
            else:
                self.logger.info(
                    f'{source} ({info["layout"]} layout) holds no '
                    'discriminator weights; the discriminator keeps its '
                    'initial weights')
        self._load_other_parts(model, state, source)
        self._has_loaded = True
        self.logger.info(f'Loaded {source} ({info["layout"]} layout)')
        return checkpoint

    def _load_other_parts(self, model, state, source):
        # Parts besides the two players (none in DeblurGANv2) load as
        # mmengine would, non-strictly, with its report of what differed.
        for name, child in model.named_children():
            if name in ('generator', 'discriminator'):
                continue
            own = child.state_dict()
            sub = _sub_state(state, name + '.')
            if own or sub:
                load_state_dict(child, sub, strict=False, logger=self.logger)
        known = tuple(f'{n}.' for n, _ in model.named_children())
        stray = [k for k in state if not k.startswith(known)]
        if stray:
            print_log(f'{source}: {len(stray)} keys belong to no part of '
                      f'the model and were ignored, e.g. {stray[:3]}',
                      logger=self.logger, level=30)


def build_runner(cfg):
    """The runner of ``cfg`` (``runner_type``, :class:`DeblurRunner` if
    unset), built from deblurkit's ``RUNNERS``."""
    if cfg.get('runner_type') is None:
        cfg.runner_type = 'DeblurRunner'
    return RUNNERS.build(cfg)
