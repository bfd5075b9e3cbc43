"""The config handling shared by tools/train.py and tools/test.py."""
import os
import os.path as osp
import sys

from mmengine.config import Config

from deblurkit.shipped import resolve_config


def load_runner_config(config, cfg_options=None, work_dir=None,
                       launcher='none', test_set=None):
    """Load a config for mmengine's Runner the way the tools do.

    - the current directory joins ``sys.path``, so a user's own modules
      named in ``custom_imports`` are found beside them;
    - ``config`` is a path or the name of a shipped config
      (:func:`deblurkit.shipped.resolve_config`);
    - ``test_set``, a dataset config such as
      ``configs/_base_/datasets/hide.py`` or its name ``hide``, replaces
      ``test_dataloader`` and ``test_evaluator``;
    - ``cfg_options`` (dotted keys) are merged last, so they win;
    - ``work_dir`` defaults to ``./work_dirs/<config name>``;
    - ``SafeCheckpointHook`` is added if the config lacks it, so
      checkpoints load with ``weights_only=True``, and
      ``WarmupRestartHook`` if the model restarts its generator's optimizer
      after warm-up (the scheduler restarts with it);
    - the runner is ``DeblurRunner`` unless ``runner_type`` names another,
      so ``load_from`` and ``resume`` read checkpoints through deblurkit's
      reader, and mmengine's ``CheckpointHook`` becomes
      ``DeblurCheckpointHook`` (no checkpoint deleted before its successor
      is complete), and its ``LoggerHook`` ``DeblurLoggerHook`` (the
      first iterations logged one by one);
    - a dataloader overridden to ``num_workers=0`` gets
      ``persistent_workers=False`` (PyTorch refuses the pair);
    - a ``TensorboardVisBackend`` in ``visualizer.vis_backends`` without
      the tensorboard package installed is an ``ImportError`` naming
      ``pip install 'deblurkit[tensorboard]'``, now rather than at the
      first logged value.
    """
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    config = resolve_config(config)
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if test_set is not None:
        try:
            test_set = resolve_config(test_set, folder='_base_/datasets')
        except FileNotFoundError as err:
            raise FileNotFoundError(f'test set: {err}') from None
        benchmark = Config.fromfile(test_set)
        for key in ('test_dataloader', 'test_evaluator'):
            if key not in benchmark:
                raise KeyError(f'test set config {test_set!r} defines no '
                               f'`{key}`')
            cfg[key] = benchmark[key]
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(h.get('type') == 'SafeCheckpointHook' for h in hooks):
        hooks.append(dict(type='SafeCheckpointHook'))
    if cfg.get('model', {}).get('restart_optimizer_after_warmup') and not any(
            h.get('type') == 'WarmupRestartHook' for h in hooks):
        hooks.append(dict(type='WarmupRestartHook'))
    cfg.custom_hooks = hooks
    if cfg.get('runner_type') is None:
        cfg.runner_type = 'DeblurRunner'
    default_hooks = cfg.get('default_hooks') or {}
    for key, theirs, ours in (
        ('checkpoint', 'CheckpointHook', 'DeblurCheckpointHook'),
        ('logger', 'LoggerHook', 'DeblurLoggerHook'),
    ):
        hook = default_hooks.get(key)
        if hook and hook.get('type') in (theirs, f'mmengine.{theirs}'):
            hook['type'] = ours
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader and loader.get('num_workers', 0) == 0:
            loader['persistent_workers'] = False
        if loader and 'worker_niceness' in loader:
            from deblurkit.engine.runner import check_worker_niceness
            try:
                check_worker_niceness(loader['worker_niceness'])
            except ValueError as err:
                raise ValueError(f'{name}.{err}') from None
    check_vis_backends(cfg)
    return cfg


TENSORBOARD_INSTALL = "pip install 'deblurkit[tensorboard]'"


def _is_tensorboard(backend):
    return 'TensorboardVisBackend' in str(backend.get('type', ''))


def add_tensorboard(cfg):
    """Log to TensorBoard too: add mmengine's ``TensorboardVisBackend``
    to ``cfg.visualizer`` (its event files go to
    ``<work_dir>/<timestamp>/vis_data``, beside ``scalars.json``)."""
    visualizer = cfg.get('visualizer') or dict(type='Visualizer')
    backends = list(visualizer.get('vis_backends') or
                    [dict(type='LocalVisBackend')])
    if not any(_is_tensorboard(b) for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer['vis_backends'] = backends
    cfg.visualizer = visualizer
    check_vis_backends(cfg)


def check_vis_backends(cfg):
    """Raise ``ImportError`` with the install command if the config logs
    to TensorBoard and the tensorboard package is missing."""
    backends = (cfg.get('visualizer') or {}).get('vis_backends') or []
    if not any(_is_tensorboard(b) for b in backends):
        return
    try:
        import torch.utils.tensorboard  # noqa: F401
    except ImportError:
        raise ImportError(
            'visualizer.vis_backends has TensorboardVisBackend, which needs '
            f'the tensorboard package: {TENSORBOARD_INSTALL}') from None


def disable_pretrained(cfg):
    """Set every ``pretrained`` key in a (nested) config to False."""
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            if key == 'pretrained':
                cfg[key] = False
            else:
                disable_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for item in cfg:
            disable_pretrained(item)


def prepare_test_config(cfg, checkpoint):
    """Make ``cfg`` evaluate ``checkpoint`` as ``tools/test.py`` does.

    The checkpoint becomes ``load_from`` (read by ``DeblurRunner`` through
    deblurkit's reader, whatever its layout) and every ``pretrained`` option
    of the model is turned off: the checkpoint supplies the generator and
    testing uses no loss network, so nothing is fetched.
    """
    disable_pretrained(cfg.model)
    cfg.load_from = checkpoint
    cfg.resume = False
    return cfg


def close_distributed(wait_for_peers=False):
    """Destroy the process group, if any, before the interpreter exits.

    A gloo rank left to tear its threads down at exit can abort with
    ``terminate called without an active exception`` after a finished
    run, which turns a complete training into a failed one; so can a rank
    that closes its connections while another still uses them. After a
    finished run (``wait_for_peers=True``) every rank first waits for the
    others at a barrier (the two-process test aborted in 3 of 8 runs
    without it, 0 of 16 with it); after an error it does not, since the
    other ranks may never get there.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        if wait_for_peers:
            try:
                dist.barrier()
            except RuntimeError:  # a peer is gone already: close anyway
                pass
        dist.destroy_process_group()


def prepare_distributed(cfg):
    """Let a ``--launcher pytorch`` job run on CPU-only machines too.

    mmengine's own initialisation pins a CUDA device and hands DDP a CUDA
    device id. Without CUDA we start the process group ourselves (mmengine
    then leaves it alone) and wrap the model with ``device_ids=None``, as
    DDP wants for CPU modules. The backend must be ``gloo``.
    """
    import torch
    import torch.distributed as dist
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend')
    if backend != 'gloo':
        raise SystemExit(
            'error: distributed training without a GPU needs the gloo '
            "backend; add --cfg-options env_cfg.dist_cfg.backend=gloo "
            f'(the config asks for {backend!r})')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo', init_method='env://')
    wrapper = dict(cfg.get('model_wrapper_cfg') or
                   dict(type='MMDistributedDataParallel'))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
