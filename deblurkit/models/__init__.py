from . import (backbones, data_preprocessors, discriminators, editors,
               generators, heads, losses, necks)

__all__ = [
    'backbones', 'data_preprocessors', 'discriminators', 'editors',
    'generators', 'heads', 'losses', 'necks'
]
