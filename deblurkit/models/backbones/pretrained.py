"""ImageNet weights for backbones, found offline when they are cached.

``pretrained`` of every backbone takes False (random init), True (timm's
ImageNet weights) or the path of a local file. True looks in the caches of
huggingface_hub and torch hub first and only tries the network when the
weights are not cached and the hub's host resolves, so an offline machine
gets a clear error at once instead of minutes of retries.
"""
import os.path as osp
import socket

import torch


def _cached_file(pretrained_cfg):
    """Path of the model's weights in a local cache, or None."""
    hf_id = pretrained_cfg.get('hf_hub_id')
    if hf_id:
        from huggingface_hub import try_to_load_from_cache
        for filename in ('model.safetensors', 'pytorch_model.bin'):
            path = try_to_load_from_cache(hf_id, filename)
            if isinstance(path, str) and osp.isfile(path):
                return path
    url = pretrained_cfg.get('url')
    if url:
        path = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(url))
        if osp.isfile(path):
            return path
    return None


def _host_resolves(host='huggingface.co'):
    try:
        socket.getaddrinfo(host, 443)
        return True
    except OSError:
        return False


def timm_pretrained_overlay(model_name, owner, pretrained_arg):
    """``pretrained_cfg_overlay`` that makes timm load from a local file.

    Args:
        model_name (str): The timm model.
        owner (str): Who asks (named in the error), e.g. ``'MobileNetV2'``.
        pretrained_arg (str): The config key to name in the error.

    Returns:
        dict: ``{'file': path}`` for a cached file, or ``{}`` when timm may
        download the weights itself.

    Raises:
        FileNotFoundError: when the weights are not cached and the hub cannot
            be reached, with instructions.
    """
    import timm
    cfg = timm.models.get_pretrained_cfg(model_name)
    cfg = cfg.to_dict() if cfg is not None else {}
    path = _cached_file(cfg)
    if path is not None:
        return dict(file=path)
    if _host_resolves():
        return {}
    where = cfg.get('hf_hub_id') or cfg.get('url') or model_name
    raise FileNotFoundError(
        f'{owner}: ImageNet weights of timm model {model_name!r} are not in '
        f'the local cache and the network is unreachable. Either download '
        f'them on a machine with internet (`python -c "import timm; '
        f"timm.create_model('{model_name}', pretrained=True)\"` fills the "
        f'Hugging Face cache, ~/.cache/huggingface/hub, from {where}) and '
        f'copy that cache here, or save them to a file and set '
        f'{pretrained_arg}=\'/path/to/weights.pth\', or train from scratch '
        f'with {pretrained_arg}=False.')


def load_state_dict_file(path, owner):
    """A state dict from a local ``.pth``/``.safetensors`` file.

    Unwraps the usual containers (``state_dict``, ``model``) and strips a
    ``module.`` prefix.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{owner}: pretrained weights file {path!r} does not exist. '
            'Give the path of a local file, True for ImageNet weights, or '
            'False for random initialisation.')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        state = load_file(path)
    else:
        state = torch.load(path, map_location='cpu', weights_only=True)
    for container in ('state_dict', 'model'):
        if isinstance(state, dict) and isinstance(state.get(container), dict):
            state = state[container]
    return {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state.items()
    }


def load_matching(module, state, owner, source):
    """Load ``state`` into ``module`` strictly, with a readable error."""
    missing, unexpected = [], []
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [
        f'{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
        for k in own if k in state and state[k].shape != own[k].shape
    ]
    if missing or mismatched:
        raise KeyError(
            f'{owner}: weights from {source} do not fit this backbone: '
            f'{len(missing)} missing keys (e.g. {missing[:5]}), '
            f'{len(unexpected)} unexpected keys (e.g. {unexpected[:5]}), '
            f'shape mismatches: {mismatched[:5]}')
    module.load_state_dict({k: state[k] for k in own})
