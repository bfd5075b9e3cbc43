"""Pictures: labels and zoomed crops (:mod:`.annotate`), training curves
from a run's ``scalars.json`` (:mod:`.curves`)."""
from .annotate import (SIDE_BY_SIDE_LABELS, detail_box, draw_box,
                       draw_label, labelled_pair, zoom)

__all__ = [
    'SIDE_BY_SIDE_LABELS', 'detail_box', 'draw_box', 'draw_label',
    'labelled_pair', 'zoom'
]
