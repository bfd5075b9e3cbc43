"""Loading the blurred image and its sharp twin."""
from mmcv.transforms import BaseTransform

from deblurkit.registry import TRANSFORMS
from ..image_io import read_image


@TRANSFORMS.register_module()
class LoadPairedImages(BaseTransform):
    """Read the images named by ``<key>_path`` into ``results[<key>]``.

    Each image becomes ``H x W x 3`` float32 RGB in [0, 1] (see
    :func:`deblurkit.datasets.image_io.read_image`: uint8 / 255,
    uint16 / 65535, grayscale replicated, alpha dropped), so every later
    transform works on one kind of array whatever the files hold.

    Required keys: ``<key>_path`` for each key (``img_path``, ``gt_path``).

    Added keys: each key (``img``, ``gt``); ``ori_shape`` (H, W),
    ``ori_channels`` and ``ori_dtype`` of the first key's file as stored.

    Args:
        keys (Sequence[str]): What to load; the first is the image the
            ``ori_*`` fields describe. Use ``('img', )`` for blurred images
            without ground truth. Defaults to ``('img', 'gt')``.

    Raises:
        OSError: A file is missing, unreadable or truncated (named).
        ValueError: The images of a pair differ in size (both named).
    """

    def __init__(self, keys=('img', 'gt')):
        if isinstance(keys, str) or not keys:
            raise TypeError(f'LoadPairedImages: keys must be a non-empty list '
                            f'of result keys, got {keys!r}.')
        self.keys = tuple(keys)

    def transform(self, results):
        first = self.keys[0]
        for key in self.keys:
            path_key = f'{key}_path'
            if results.get(path_key) is None:
                raise KeyError(
                    f'LoadPairedImages: results have no {path_key!r} to '
                    f'load {key!r} from (sample {results.get("key")!r}); the '
                    'dataset must provide it, or drop the key from keys.')
            img, info = read_image(results[path_key])
            results[key] = img
            if key == first:
                results.update(info)
            elif img.shape[:2] != results[first].shape[:2]:
                h1, w1 = results[first].shape[:2]
                h2, w2 = img.shape[:2]
                raise ValueError(
                    f'LoadPairedImages: {results[f"{first}_path"]} is '
                    f'{h1}x{w1} but {results[path_key]} is {h2}x{w2} '
                    '(height x width); the images of a pair must have the '
                    'same size. Re-export or remove the pair.')
        return results

    def __repr__(self):
        return f'{type(self).__name__}(keys={list(self.keys)})'
