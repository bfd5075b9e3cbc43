"""Registries of deblurkit.

Every registry is a child of the matching root registry of mmengine, with the
scope ``deblurkit``, so mmengine's Runner (``default_scope='deblurkit'``)
builds our components and falls back to mmengine's own ones (optimizers,
schedulers, loops, ...) by the usual parent lookup.

The model parts (``BACKBONES``, ``NECKS``, ``HEADS``, ``DISCRIMINATORS``,
``LOSSES``) have registries of their own so that a config names a backbone
in ``model.generator.backbone`` and an error can say which backbones exist.
They are children of :data:`MODELS` and everything registered in them is
registered in :data:`MODELS` too: under ``default_scope='deblurkit'`` mmengine
resolves every model build to the ``deblurkit`` scope of its model tree,
which is :data:`MODELS`.

A user's own module joins by decorating it in the user's own file and
naming that file in the config's ``custom_imports``::

    from deblurkit.registry import BACKBONES

    @BACKBONES.register_module()
    class MyBackbone(nn.Module):
        ...
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'METRICS', 'EVALUATOR',
    'VISUALIZERS', 'VISBACKENDS', 'TASK_UTILS', 'FUNCTIONS', 'BACKBONES',
    'NECKS', 'HEADS', 'DISCRIMINATORS', 'LOSSES', 'registered_names'
]

SCOPE = 'deblurkit'


def _child(name, parent, *locations):
    return Registry(
        name,
        parent=parent,
        scope=SCOPE,
        locations=[f'deblurkit.{loc}' for loc in locations])


# mmengine's machinery, under our scope.
RUNNERS = _child('runner', MMENGINE_RUNNERS, 'engine')
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             MMENGINE_RUNNER_CONSTRUCTORS, 'engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'engine')
HOOKS = _child('hook', MMENGINE_HOOKS, 'engine')
LOG_PROCESSORS = _child('log processor', MMENGINE_LOG_PROCESSORS, 'engine')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'engine')
OPTIM_WRAPPERS = _child('optim wrapper', MMENGINE_OPTIM_WRAPPERS, 'engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
                                    'engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                          'engine')

# Data.
DATASETS = _child('dataset', MMENGINE_DATASETS, 'datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, 'datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'datasets.transforms',
                    'synthesis')

# Models.
MODELS = _child('model', MMENGINE_MODELS, 'models')
MODEL_WRAPPERS = _child('model wrapper', MMENGINE_MODEL_WRAPPERS, 'models')
WEIGHT_INITIALIZERS = _child('weight initializer',
                             MMENGINE_WEIGHT_INITIALIZERS, 'models')
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, 'models')

# Evaluation and visualisation.
METRICS = _child('metric', MMENGINE_METRICS, 'evaluation')
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, 'evaluation')
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, 'visualization')
VISBACKENDS = _child('vis backend', MMENGINE_VISBACKENDS, 'visualization')
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, 'engine')


class _ModelPartRegistry(Registry):
    """A registry of one kind of model part that also registers in MODELS."""

    def _register_module(self, module, module_name=None, force=False):
        super()._register_module(module, module_name, force)
        self.parent._register_module(module, module_name, force)


def _model_part(name, location):
    # The scope only has to be unique among the children of MODELS; builds
    # under the default scope resolve to MODELS, which holds every part.
    return _ModelPartRegistry(
        name,
        parent=MODELS,
        scope=f'{SCOPE}_{name}',
        locations=[f'deblurkit.models.{location}'])


BACKBONES = _model_part('backbone', 'backbones')
NECKS = _model_part('neck', 'necks')
HEADS = _model_part('head', 'heads')
DISCRIMINATORS = _model_part('discriminator', 'discriminators')
LOSSES = _model_part('loss', 'losses')


def registered_names(registry):
    """Sorted names in ``registry`` (after importing its locations)."""
    registry.import_from_location()
    return sorted(registry.module_dict)
