"""Build a model from a config and load its weights, ready for inference."""
import copy

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope

from deblurkit.engine.checkpoint_reader import (load_discriminator_weights,
                                                load_generator_weights)
from deblurkit.engine.runner_config import disable_pretrained
from deblurkit.registry import MODELS
from deblurkit.shipped import resolve_config

__all__ = [
    'init_model', 'build_generator', 'load_config', 'load_generator_weights',
    'load_discriminator_weights', 'LossNotBuilt'
]


class LossNotBuilt(nn.Module):
    """Stands in for a loss that :func:`init_model` does not build.

    Inference needs no loss (and so no VGG19 of ``PerceptualLoss``); calling
    this says how to get a model that has its losses.
    """

    def __init__(self, name):
        super().__init__()
        self.name = name

    def forward(self, *args, **kwargs):
        raise RuntimeError(
            f'model.{self.name} was not built: init_model builds models for '
            'inference only. Build the model with '
            'deblurkit.registry.MODELS.build(cfg.model) (as tools/train.py '
            'does) to compute losses.')

    loss_d = loss_g = forward


def _inference_model_cfg(model_cfg):
    """``model_cfg`` reduced to what inference runs: for DeblurGANv2 (and its
    subclasses) no discriminator and no losses are built."""
    from deblurkit.models.editors import DeblurGANv2
    model_cfg = dict(model_cfg)
    kind = model_cfg.get('type')
    cls = MODELS.get(kind) if isinstance(kind, str) else kind
    if isinstance(cls, type) and issubclass(cls, DeblurGANv2):
        model_cfg['discriminator'] = None
        for key in list(model_cfg):
            if key.endswith('loss') and model_cfg[key] is not None:
                model_cfg[key] = LossNotBuilt(key)
    else:  # another model type: at least no loss network's weights
        for key, value in model_cfg.items():
            if 'loss' in key:
                disable_pretrained(value)
    return model_cfg


def load_config(config, cfg_options=None):
    """A private copy of ``config`` (a path, the name of a shipped config
    such as ``'deblurganv2_mobilenet_gopro'``, or a Config) with overrides
    merged."""
    if isinstance(config, str):
        config = Config.fromfile(resolve_config(config))
    elif not isinstance(config, Config):
        raise TypeError('config must be a file path or a Config, got '
                        f'{type(config).__name__}')
    config = copy.deepcopy(config)
    if cfg_options:
        config.merge_from_dict(cfg_options)
    if 'model' not in config:
        raise KeyError(f'config {config.filename!r} has no `model` section')
    return config


def build_generator(config, cfg_options=None):
    """Only the generator of a config, with random weights (no downloads)."""
    config = load_config(config, cfg_options)
    generator_cfg = copy.deepcopy(config.model.generator)
    disable_pretrained(generator_cfg)
    init_default_scope(config.get('default_scope', 'deblurkit'))
    return MODELS.build(generator_cfg)


def init_model(config, checkpoint=None, device='cpu', cfg_options=None):
    """Build a deblurring model from a config file for inference.

    The model has what inference runs: the generator and the data
    preprocessor. No discriminator and no loss is built (so no VGG19 weights
    are read, with or without a checkpoint; calling a loss raises
    :class:`LossNotBuilt`'s error). With a checkpoint, every ``pretrained``
    option of the config is turned off as well: the checkpoint supplies the
    weights, so nothing is fetched and it works offline.

    Args:
        config (str | Config): A config path, the name of a shipped
            config (``'deblurganv2_mobilenet_gopro'``) or a loaded config.
        checkpoint (str, optional): Anything deblurkit's checkpoint reader
            accepts: a deblurkit checkpoint (any generator, also from
            distributed training), the authors' ``.h5`` or MMagic's file.
            None leaves the weights as initialised.
        device (str): Where to put the model.
        cfg_options (dict, optional): Dotted overrides merged into the
            config, like ``--cfg-options``.

    Returns:
        nn.Module: The model in eval mode, with ``model.cfg`` set.

    Raises:
        The errors of :func:`deblurkit.engine.checkpoint_errors`, each with
        a one-line message naming the checkpoint.
    """
    config = load_config(config, cfg_options)
    model_cfg = copy.deepcopy(config.model)
    if checkpoint is not None:
        disable_pretrained(model_cfg)
    init_default_scope(config.get('default_scope', 'deblurkit'))
    model = MODELS.build(_inference_model_cfg(model_cfg))
    if checkpoint is not None:
        load_generator_weights(model, checkpoint)
    model.cfg = config
    model.to(torch.device(device))
    model.eval()
    return model
