"""One optimizer per player of a GAN."""
import copy

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from deblurkit.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with an optim wrapper per submodule.

    Each key of the config names a submodule of the model (``generator``,
    ``discriminator``) and holds an ordinary optim wrapper config (with its
    own optional ``paramwise_cfg``)::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(type='OptimWrapper',
                           optimizer=dict(type='Adam', lr=1e-4)),
            discriminator=dict(type='OptimWrapper',
                               optimizer=dict(type='Adam', lr=1e-4)))

    A key whose submodule is None (a model built without a discriminator)
    is skipped.
    """

    def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
        if paramwise_cfg is not None:
            raise ValueError(
                'MultiOptimWrapperConstructor: put paramwise_cfg inside each '
                'optim wrapper (optim_wrapper.generator.paramwise_cfg)')
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict):
                raise TypeError(
                    f'optim_wrapper.{name} must be an optim wrapper config '
                    f'dict, got {cfg!r}')
        self.optim_wrapper_cfg = copy.deepcopy(optim_wrapper_cfg)

    def __call__(self, model):
        model = getattr(model, 'module', model)
        wrappers = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            if not hasattr(model, name):
                raise KeyError(
                    f'optim_wrapper.{name}: the model has no submodule '
                    f'{name!r}')
            module = getattr(model, name)
            if module is None:
                continue
            cfg = copy.deepcopy(cfg)
            paramwise_cfg = cfg.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(
                cfg, paramwise_cfg)(module)
        return OptimWrapperDict(**wrappers)
