"""``norm_stats`` / ``train_norm_stats`` for a whole generator."""
from ..layers import NORM_STATS_MODES, convert_norm_layers, set_norm_stats


class GeneratorNormStats:
    """Mixin of a generator whose norm layers' statistics can be chosen.

    Call :meth:`init_norm_stats` at the end of ``__init__``; it converts
    every batch/instance norm (:func:`convert_norm_layers`) and sets the
    modes. ``norm_stats`` may be changed later (e.g. by ``--cfg-options``
    or the tools' ``--norm-stats``).
    """

    def init_norm_stats(self, norm_stats='per_image', train_norm_stats='batch'):
        convert_norm_layers(self)
        self.norm_stats = norm_stats
        set_norm_stats(self, train_norm_stats, 'train_norm_stats')

    @property
    def norm_stats(self):
        """``'per_image'`` or ``'running'``: statistics in eval mode."""
        return self._norm_stats

    @norm_stats.setter
    def norm_stats(self, mode):
        if mode not in NORM_STATS_MODES:
            raise ValueError(
                f'norm_stats must be one of {NORM_STATS_MODES}, got {mode!r}')
        set_norm_stats(self, mode)
        self._norm_stats = mode
