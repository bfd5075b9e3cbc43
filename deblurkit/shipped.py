"""The configs and tools that ship with deblurkit, and config names.

An installed deblurkit carries ``configs/`` and ``tools/`` inside the
package, in ``deblurkit/.mim/`` (the place OpenMMLab packages use), so that
a config is found by its name (``deblurganv2_mobilenet_gopro``) and the
``deblurkit`` command runs the tools from anywhere. In a source checkout
(editable install, or ``PYTHONPATH``) they are the checkout's own folders.
"""
import difflib
import os
import os.path as osp

__all__ = [
    'ConfigNotFoundError', 'shipped_dir', 'config_names', 'resolve_config'
]

PACKAGE = osp.dirname(osp.abspath(__file__))


class ConfigNotFoundError(FileNotFoundError):
    """A config name or path that names no file."""


def shipped_dir(kind):
    """The folder ``kind`` (``'configs'`` or ``'tools'``) that ships with
    this deblurkit: the checkout's when it runs from a checkout, else the
    installed copy in ``deblurkit/.mim``."""
    checkout = osp.dirname(PACKAGE)
    if osp.isfile(osp.join(checkout, 'setup.py')) and osp.isdir(
            osp.join(checkout, kind)):
        return osp.join(checkout, kind)
    return osp.join(PACKAGE, '.mim', kind)


def config_names(folder=''):
    """Names of the shipped configs in ``folder`` (relative to the configs
    folder, e.g. ``'_base_/datasets'``), sorted."""
    root = osp.join(shipped_dir('configs'), folder)
    if not osp.isdir(root):
        return []
    return sorted(
        name[:-3] for name in os.listdir(root)
        if name.endswith('.py') and osp.isfile(osp.join(root, name)))


def resolve_config(config, folder=''):
    """The file of ``config``: a path, or the name of a shipped config.

    - an existing file is used as it is;
    - a name without ``.py`` (``deblurganv2_mobilenet_gopro``, or
      ``_base_/datasets/hide``) is a shipped config, looked up in
      ``folder`` of the configs first (``folder='_base_/datasets'`` lets
      ``hide`` name the HIDE dataset config) and then at the top;
    - a path starting with ``configs/`` that does not exist here is the
      shipped config of that path (the commands of the documentation run
      outside a checkout as well).

    Raises:
        ConfigNotFoundError: one line naming ``config`` and the shipped
            configs with close names.
    """
    config = str(config)
    if osp.isfile(config):
        return config
    root = shipped_dir('configs')
    relative = None
    if not config.endswith('.py'):
        for base in dict.fromkeys((folder, '')):
            candidate = osp.join(root, base, config + '.py')
            if osp.isfile(candidate):
                return candidate
        relative = config
    elif config.replace('\\', '/').startswith('configs/'):
        relative = config[len('configs/'):-len('.py')]
        candidate = osp.join(root, relative + '.py')
        if osp.isfile(candidate):
            return candidate
    if relative is None:
        raise ConfigNotFoundError(f'config {config!r} does not exist')
    folder_of = osp.dirname(relative) or folder
    names = config_names(folder_of)
    close = difflib.get_close_matches(
        osp.basename(relative), names, n=4, cutoff=0.5)
    prefix = f'{folder_of}/' if folder_of and folder_of != folder else ''
    hint = (f'close names: {", ".join(prefix + n for n in close)}'
            if close else 'run `deblurkit configs` to list the shipped ones')
    raise ConfigNotFoundError(
        f'config {config!r} is neither a file nor the name of a shipped '
        f'config ({hint})')
