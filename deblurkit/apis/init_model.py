"""Build a model from a config and load its weights, ready for inference."""
import copy

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from deblurkit.engine import safe_torch_load
from deblurkit.models.generators import (CheckpointLayoutError,
                                         generator_state_from_checkpoint)
from deblurkit.registry import MODELS


def _disable_pretrained(cfg):
    """Set every ``pretrained`` key in a (nested) config to False."""
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            if key == 'pretrained':
                cfg[key] = False
            else:
                _disable_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for item in cfg:
            _disable_pretrained(item)


def load_generator_weights(model, checkpoint, arch=None):
    """Load a checkpoint of any known layout into ``model``.

    A deblurkit checkpoint loads the whole model (generator, and the
    discriminator when the checkpoint has one); an official or MMagic
    checkpoint loads the generator.

    Args:
        model (DeblurGANv2): The model.
        checkpoint (str | dict): A path, or what ``torch.load`` returned.
        arch (str, optional): Backbone of an official checkpoint.

    Returns:
        dict: ``layout`` (and ``arch`` for official ones) of the source.
    """
    source = checkpoint if isinstance(checkpoint, str) else 'checkpoint'
    if isinstance(checkpoint, str):
        checkpoint = safe_torch_load(checkpoint, map_location='cpu')
    try:
        generator_state, info = generator_state_from_checkpoint(
            checkpoint, arch)
    except CheckpointLayoutError as err:
        raise CheckpointLayoutError(f'{source}: {err}') from None
    own = model.generator.state_dict()
    missing = sorted(set(own) - set(generator_state))
    unexpected = sorted(set(generator_state) - set(own))
    mismatched = [
        f'{k}: checkpoint {tuple(generator_state[k].shape)} vs model '
        f'{tuple(own[k].shape)}' for k in own
        if k in generator_state and generator_state[k].shape != own[k].shape
    ]
    if missing or unexpected or mismatched:
        raise CheckpointLayoutError(
            f'{source} ({info["layout"]} layout) does not fit the generator '
            f'of this config: {len(missing)} missing keys {missing[:5]}, '
            f'{len(unexpected)} unexpected keys {unexpected[:5]}, '
            f'{len(mismatched)} shape mismatches {mismatched[:3]}. Check that '
            'the config matches the checkpoint (backbone, num_filters, '
            'conv_type).')
    model.generator.load_state_dict(generator_state)
    if info['layout'] == 'deblurkit' and model.discriminator is not None:
        state = checkpoint.get('state_dict', checkpoint)
        disc = {
            k[len('discriminator.'):]: v
            for k, v in state.items() if k.startswith('discriminator.')
        }
        if disc:
            model.discriminator.load_state_dict(disc)
    return info


def load_config(config, cfg_options=None):
    """A private copy of ``config`` (path or Config) with overrides merged."""
    if isinstance(config, str):
        config = Config.fromfile(config)
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
    _disable_pretrained(generator_cfg)
    init_default_scope(config.get('default_scope', 'deblurkit'))
    return MODELS.build(generator_cfg)


def init_model(config, checkpoint=None, device='cpu', cfg_options=None):
    """Build a deblurring model from a config file and load a checkpoint.

    With a checkpoint, every ``pretrained`` option of the model config is
    turned off: the checkpoint supplies the weights and inference needs no
    loss network, so nothing is fetched and it works offline.

    Args:
        config (str | Config): A config path or a loaded config.
        checkpoint (str, optional): A deblurkit, official (``.h5``) or MMagic
            checkpoint. None leaves the weights as initialised.
        device (str): Where to put the model.
        cfg_options (dict, optional): Dotted overrides merged into the
            config, like ``--cfg-options``.

    Returns:
        nn.Module: The model in eval mode, with ``model.cfg`` set.
    """
    config = load_config(config, cfg_options)
    model_cfg = config.model
    if checkpoint is not None:
        _disable_pretrained(model_cfg)
    init_default_scope(config.get('default_scope', 'deblurkit'))
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        load_generator_weights(model, checkpoint)
    model.cfg = config
    model.to(torch.device(device))
    model.eval()
    return model
