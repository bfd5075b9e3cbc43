"""Read the generator weights released by the DeblurGAN-v2 authors.

Layouts understood (as the authors and MMagic published them):

- official ``fpn_mobilenet.h5`` / ``fpn_inception.h5``:
  ``{'model': state_dict}`` of an ``nn.DataParallel`` generator, keys
  ``module.fpn.*``, ``module.head1.*``, ... The backbone appears twice
  (``fpn.features.*``/``fpn.inception.*`` and its alias ``fpn.enc0..4.*``);
- MMagic's republication: the same keys with a ``generator.`` prefix inside
  ``state_dict``;
- deblurkit's own: ``generator.*`` keys inside ``state_dict``, whatever the
  generator (``generator.backbone.*``, ``generator.neck.*``, ... for an
  FPNGenerator), also as written by distributed training, where the DDP
  wrapper's ``module.`` follows the part's name
  (``generator.module.backbone.*``).
"""
import re

ARCHS = ('mobilenet', 'inception')
_HEAD = re.compile(r'^(head[1-4]|smooth2?|final)\.')
_NECK = re.compile(r'^(lateral[0-4]|td[1-3])\.')
# Backbone layers the generator never uses (and deblurkit does not build).
_UNUSED_MOBILENET = re.compile(r'^features\.(1[6-9]|[2-9]\d)\.')
_UNUSED_INCEPTION = re.compile(
    r'^(repeat_2|block8|conv2d_7b|last_linear|classif)\.')


class CheckpointLayoutError(KeyError):
    """A checkpoint whose keys match no known generator layout."""

    def __str__(self):
        return str(self.args[0])


def _strip(state, prefix):
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


_PARTS = ('generator.', 'discriminator.')


def _unwrapped_key(key):
    """``key`` without the ``module.`` of DataParallel/DDP wrappers.

    ``module.generator.x`` (a wrapped model) and ``generator.module.x`` (a
    wrapped part, as ``MMSeparateDistributedDataParallel`` saves) both
    become ``generator.x``; other keys are left alone.
    """
    if key.startswith('module.') and key[len('module.'):].startswith(_PARTS):
        key = key[len('module.'):]
    for part in _PARTS:
        if key.startswith(part):
            rest = key[len(part):]
            while rest.startswith('module.'):
                rest = rest[len('module.'):]
            return part + rest
    return key


def unwrap_state_dict(state):
    """``state`` with the wrappers' ``module.`` removed (see above)."""
    return {_unwrapped_key(k): v for k, v in state.items()}


def detect_layout(state):
    """``'official'``, ``'mmagic'`` or ``'deblurkit'`` for a state dict.

    Official and MMagic files are recognised by the official generator's
    own keys (``fpn.*`` and ``final.*``); any other state dict with
    ``generator.*`` keys is deblurkit's, whatever the generator.
    """
    keys = list(state)
    if any(k.startswith('module.fpn.') for k in keys):
        return 'official'
    if any(k.startswith('generator.fpn.') for k in keys) and any(
            k.startswith('generator.final.') for k in keys):
        return 'mmagic'
    if any(k.startswith('generator.') for k in keys):
        return 'deblurkit'
    if any(k.startswith('fpn.') for k in keys):
        return 'official-bare'
    raise CheckpointLayoutError(
        'the checkpoint matches no known layout: expected keys starting '
        "with 'generator.' (deblurkit, any generator), 'module.fpn.' "
        "(official .h5) or 'generator.fpn.' (MMagic); first keys found: "
        f'{keys[:5]}')


def detect_arch(generator_state):
    """``'mobilenet'`` or ``'inception'`` from official generator keys."""
    if any(k.startswith('fpn.inception.') for k in generator_state):
        return 'inception'
    if any(k.startswith('fpn.features.') for k in generator_state):
        return 'mobilenet'
    raise CheckpointLayoutError(
        'cannot tell the backbone of this official checkpoint: it has '
        "neither 'fpn.features.*' (MobileNet) nor 'fpn.inception.*' "
        '(Inception) keys; pass --arch')


def official_to_generator_state(state, arch=None):
    """Map official generator keys (no prefix) onto deblurkit's generator.

    Args:
        state (dict): Keys like ``fpn.features.0.0.weight``, ``head1.*``.
        arch (str, optional): ``'mobilenet'`` or ``'inception'``; detected
            from the keys when None.

    Returns:
        tuple[dict, str]: The FPNGenerator state dict and the architecture.
    """
    arch = arch or detect_arch(state)
    if arch not in ARCHS:
        raise ValueError(f'arch must be one of {ARCHS}, got {arch!r}')
    backbone_prefix = 'fpn.features.' if arch == 'mobilenet' else \
        'fpn.inception.'
    unused = _UNUSED_MOBILENET if arch == 'mobilenet' else _UNUSED_INCEPTION
    out, unknown = {}, []
    for key, value in state.items():
        if re.match(r'^fpn\.enc[0-4]\.', key):
            continue  # aliases of the backbone layers
        if key.startswith(backbone_prefix):
            rest = key[len('fpn.'):]
            rest = rest[len('inception.'):] if arch == 'inception' else rest
            if not unused.match(rest):
                out['backbone.' + rest] = value
        elif key.startswith('fpn.') and _NECK.match(key[len('fpn.'):]):
            out['neck.' + key[len('fpn.'):]] = value
        elif _HEAD.match(key):
            out['head.' + key] = value
        else:
            unknown.append(key)
    if unknown:
        raise CheckpointLayoutError(
            f'{len(unknown)} keys of the official {arch} checkpoint have no '
            f'place in the deblurkit generator, e.g. {unknown[:5]}')
    return out, arch


def model_state_from_checkpoint(checkpoint, arch=None):
    """The model's state dict in deblurkit's layout, from any known layout.

    Args:
        checkpoint (dict): What ``torch.load`` returned.
        arch (str, optional): Backbone of an official checkpoint.

    Returns:
        tuple[dict, dict]: a state dict with ``generator.*`` keys (and
        ``discriminator.*`` ones, or others, where a deblurkit checkpoint
        has them), without wrappers' ``module.``; and a dict describing the
        source (``layout``, and ``arch`` for official and MMagic files).
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointLayoutError(
            f'a checkpoint must be a dict, got {type(checkpoint).__name__}')
    state = checkpoint
    for container in ('state_dict', 'model'):
        if isinstance(state.get(container), dict):
            state = state[container]
            break
    if not any(k.startswith('module.fpn.') for k in state):
        state = unwrap_state_dict(state)
    layout = detect_layout(state)
    if layout == 'deblurkit':
        return state, dict(layout=layout)
    prefix = {'official': 'module.', 'mmagic': 'generator.'}.get(layout, '')
    generator, arch = official_to_generator_state(_strip(state, prefix), arch)
    return {'generator.' + k: v
            for k, v in generator.items()}, dict(layout=layout, arch=arch)


def generator_state_from_checkpoint(checkpoint, arch=None):
    """The generator state dict held by any known checkpoint layout.

    Args:
        checkpoint (dict): What ``torch.load`` returned.
        arch (str, optional): Backbone of an official checkpoint.

    Returns:
        tuple[dict, dict]: the generator's state dict (no prefix) and a dict
        describing the source (``layout``, ``arch``).
    """
    state, info = model_state_from_checkpoint(checkpoint, arch)
    return _strip(state, 'generator.'), info
