"""What the full-reference metrics share: 8-bit conversion, cropping,
Y channel, optional alignment, and the per-image bookkeeping of an mmengine
metric."""
import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from .alignment import align_to_reference

#: ``align=`` values: the benchmark whose registration is reproduced, and
#: the motion model its evaluation code fits.
ALIGNMENTS = dict(realblur='homography', kohler='translation')


def _check_convert_to(convert_to, name):
    if convert_to is not None and not (isinstance(convert_to, str)
                                       and convert_to.upper() == 'Y'):
        raise ValueError(f'{name}: convert_to must be None (RGB) or "Y" '
                         f'(BT.601 luma), got {convert_to!r}.')
    return None if convert_to is None else 'Y'


def rgb_to_y(img):
    """BT.601 luma of an RGB image with values in 0-255, as in BasicSR and
    MMagic (``rgb2ycbcr(..., y_only=True)``): ``16 + 65.481 R + 128.553 G
    + 24.966 B`` with R, G, B in [0, 1]. Not rounded.

    Args:
        img (np.ndarray): ``H x W x 3`` RGB, 0-255.

    Returns:
        np.ndarray: ``H x W x 1`` float64 luma in [16, 235].
    """
    weights = np.array([65.481, 128.553, 24.966]) / 255.
    return (16. + img.astype(np.float64) @ weights)[..., None]


def check_same_size(img1, img2, name):
    """Raise a clear error if two images differ in shape."""
    if img1.shape != img2.shape:
        raise ValueError(f'{name}: the images differ in shape: {img1.shape} '
                         f'vs {img2.shape}.')


def prepare_pair(img1, img2, crop_border=0, convert_to=None, name='metric'):
    """Check, crop and convert two 0-255 images for a metric.

    Args:
        img1, img2 (np.ndarray): ``H x W x C`` (or ``H x W``) RGB images,
            uint8 or float with values in 0-255.
        crop_border (int): Pixels removed from each side before measuring.
        convert_to (str | None): ``'Y'`` to measure the BT.601 luma only.
        name (str): The caller, named in errors.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``H' x W' x C'`` float64 images.
    """
    img1, img2 = np.asarray(img1), np.asarray(img2)
    check_same_size(img1, img2, name)
    if img1.ndim == 2:
        img1, img2 = img1[..., None], img2[..., None]
    if img1.ndim != 3:
        raise ValueError(f'{name}: expected H x W x C images, got shape '
                         f'{img1.shape}.')
    if not isinstance(crop_border, int) or crop_border < 0:
        raise ValueError(f'{name}: crop_border must be an int >= 0, got '
                         f'{crop_border!r}.')
    h, w = img1.shape[:2]
    if 2 * crop_border >= min(h, w):
        raise ValueError(f'{name}: crop_border={crop_border} leaves nothing '
                         f'of a {h}x{w} image.')
    if crop_border:
        img1 = img1[crop_border:-crop_border, crop_border:-crop_border]
        img2 = img2[crop_border:-crop_border, crop_border:-crop_border]
    if _check_convert_to(convert_to, name) == 'Y':
        if img1.shape[2] != 3:
            raise ValueError(f'{name}: convert_to="Y" needs RGB images, got '
                             f'{img1.shape[2]} channel(s).')
        return rgb_to_y(img1), rgb_to_y(img2)
    return img1.astype(np.float64), img2.astype(np.float64)


def prepare_mask(mask, crop_border=0, convert_to=None):
    """The overlap mask of an aligned pair, cropped and reduced like the
    images by :func:`prepare_pair` (one channel for ``convert_to='Y'``)."""
    if mask is None:
        return None
    mask = np.asarray(mask, np.float64)
    if mask.ndim == 2:
        mask = mask[..., None]
    if crop_border:
        mask = mask[crop_border:-crop_border, crop_border:-crop_border]
    if convert_to is not None:
        mask = mask[..., :1]
    return mask


def tensor_to_8bit(img, what='image'):
    """``Tensor[C, H, W]`` in [0, 1] -> ``H x W x C`` float64 0-255 array,
    rounded to 8-bit levels: ``round(clamp(x, 0, 1) * 255)``.

    Numpy arrays in the same ``C x H x W`` layout are accepted too.
    """
    if isinstance(img, np.ndarray):
        img = torch.from_numpy(img)
    if not isinstance(img, torch.Tensor) or img.dim() != 3:
        shape = getattr(img, 'shape', None)
        raise TypeError(f'{what} must be a Tensor[C, H, W] in [0, 1], got '
                        f'{type(img).__name__} of shape {shape}.')
    img = (img.detach().float().cpu().clamp(0, 1) * 255).round()
    return img.permute(1, 2, 0).numpy().astype(np.float64)


def _field(data_sample, name):
    """A field of a data sample given as a dict or a ``DeblurDataSample``."""
    value = data_sample.get(name, None)
    if value is None and isinstance(data_sample, dict):
        value = data_sample.get('metainfo', {}).get(name)
    return value


class BaseImageMetric(BaseMetric):
    """A full-reference image metric averaged over images.

    :meth:`process` reads ``pred_img`` and ``gt_img`` (``Tensor[3, H, W]``
    in [0, 1]) from each data sample, dict or ``DeblurDataSample``, rounds
    them to 8-bit levels and scores them with :meth:`score`.
    :meth:`compute_metrics` returns ``{METRIC: mean}`` and keeps the scores
    of the images in :attr:`per_image_results`, a list of ``(key, value)``
    in evaluation order, for tools that write per-image tables. (With
    several processes it is filled on the main one, which gathers all.)

    With ``align='realblur'`` each prediction is first registered to its
    ground truth as RealBlur's evaluation code does
    (:func:`~.alignment.align_to_reference`: intensity gain, ECC homography,
    100 iterations) and scored over the overlap only; prediction and ground
    truth may then differ in size. An image whose registration fails is
    logged by name, scored unaligned, and listed in
    :attr:`unaligned_keys`. ``align='kohler'`` registers with a translation
    instead (the Kohler benchmark's model).

    Args:
        crop_border (int): Pixels removed from each side. Defaults to 0.
        convert_to (str | None): ``'Y'`` to score the BT.601 luma only.
            Defaults to None (RGB).
        align (str | None): ``None``, ``'realblur'`` or ``'kohler'``.
            Defaults to None (no registration; sizes must match).
        collect_device (str): ``'cpu'`` or ``'gpu'``, for gathering.
        prefix (str | None): Prefix of the metric's name in logs.
    """

    #: The name of the value in the returned dict.
    METRIC = ''

    def __init__(self,
                 crop_border=0,
                 convert_to=None,
                 align=None,
                 collect_device='cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        name = type(self).__name__
        if align is not None and align not in ALIGNMENTS:
            raise ValueError(f'{name}: align must be None or one of '
                             f'{sorted(ALIGNMENTS)}, got {align!r}.')
        self.crop_border = crop_border
        self.convert_to = _check_convert_to(convert_to, name)
        self.align = align
        self.per_image_results = []
        self.unaligned_keys = []

    def score(self, img1, img2, mask=None):
        """The metric of two ``H x W x C`` 0-255 arrays; with ``mask``
        (same shape, 1 inside the overlap of an aligned pair) over the
        masked pixels only."""
        raise NotImplementedError

    def score_pair(self, key, pred, gt):
        """``dict(key, value[, unaligned])`` for one prediction and its
        ground truth (``H x W x C`` 0-255 arrays)."""
        name = type(self).__name__
        if self.align is None:
            if pred.shape != gt.shape:
                raise ValueError(
                    f'{name}: pred_img and gt_img of {key!r} differ in size: '
                    f'{pred.shape[:2]} vs {gt.shape[:2]}; the model must crop '
                    'its output back to the input size (or use '
                    "align='realblur' for benchmarks whose pairs are "
                    'registered at evaluation).')
            return dict(key=key, value=self.score(pred, gt))
        aligned = align_to_reference(pred, gt, ALIGNMENTS[self.align])
        result = dict(
            key=key, value=self.score(aligned.pred, aligned.gt,
                                      None if not aligned.converged else
                                      aligned.mask))
        if not aligned.converged:
            MMLogger.get_current_instance().warning(
                f'{name}: alignment of {key!r} failed: {aligned.message}; '
                'scored unaligned (flagged in unaligned_keys).')
            result['unaligned'] = True
        return result

    def process(self, data_batch, data_samples):
        for data_sample in data_samples:
            key = _field(data_sample, 'key')
            if key is None:
                key = _field(data_sample, 'img_path')
            images = []
            for name in ('pred_img', 'gt_img'):
                value = _field(data_sample, name)
                if value is None:
                    raise KeyError(
                        f'{type(self).__name__}: the data sample of {key!r} '
                        f'has no {name!r}; the model must output pred_img '
                        'and the dataset must have sharp images (gt_img).')
                images.append(tensor_to_8bit(value, f'{name} of {key!r}'))
            self.results.append(self.score_pair(key, *images))

    def compute_metrics(self, results):
        self.per_image_results = [(r['key'], r['value']) for r in results]
        self.unaligned_keys = [r['key'] for r in results if r.get('unaligned')]
        return {self.METRIC: float(np.mean([r['value'] for r in results]))}

    def extra_repr(self):
        """Non-default arguments of a subclass, for :meth:`__repr__`."""
        return ''

    def __repr__(self):
        align = f', align={self.align!r}' if self.align else ''
        return (f'{type(self).__name__}(crop_border={self.crop_border}, '
                f'convert_to={self.convert_to!r}{align}, '
                f'prefix={self.prefix!r}{self.extra_repr()})')
