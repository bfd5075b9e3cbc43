"""Base of the transforms that act on several images of one sample."""
from mmcv.transforms import BaseTransform


class PairedTransform(BaseTransform):
    """A transform applied with one random draw to the images in ``keys``.

    Subclasses draw their parameters once per call and apply them to every
    key, so the blurred image and its sharp twin stay aligned. They list
    their constructor arguments in :meth:`repr_args` for ``__repr__``.

    Args:
        keys (Sequence[str]): The images to transform (``H x W x C``
            arrays in ``results``).
    """

    def __init__(self, keys):
        if isinstance(keys, str) or not keys:
            raise TypeError(f'{type(self).__name__}: keys must be a non-empty '
                            f'list of result keys, got {keys!r}.')
        self.keys = tuple(keys)

    def image_shape(self, results):
        """``(H, W)`` shared by all images in ``keys``; raises otherwise."""
        shapes = {}
        for key in self.keys:
            if key not in results:
                raise KeyError(
                    f'{type(self).__name__}: results have no {key!r} '
                    f'(sample {results.get("key")!r}); load it first or '
                    'remove it from keys.')
            shapes[key] = results[key].shape[:2]
        if len(set(shapes.values())) > 1:
            raise ValueError(
                f'{type(self).__name__}: the images of sample '
                f'{results.get("key")!r} differ in size ({shapes}); they '
                'must be aligned before a paired transform.')
        return shapes[self.keys[0]]

    def repr_args(self):
        """Constructor arguments shown by ``__repr__``."""
        return dict(keys=list(self.keys))

    def __repr__(self):
        args = ', '.join(f'{k}={v!r}' for k, v in self.repr_args().items())
        return f'{type(self).__name__}({args})'
