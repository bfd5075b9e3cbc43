"""Blur sharp images on the fly, in a data pipeline."""
import os

import numpy as np
from mmcv.transforms import BaseTransform
from torch.utils.data import get_worker_info

from deblurkit.registry import TRANSFORMS
from .blur import as_float_image
from .pair import BlurSettings, synthesize_pair

__all__ = ['SynthesizeMotionBlur']


def _worker_seed():
    """The DataLoader worker's seed, or None outside a worker."""
    info = get_worker_info()
    return None if info is None else info.seed


@TRANSFORMS.register_module()
class SynthesizeMotionBlur(BaseTransform):
    """Make the blurred input from the sharp target, with a fresh blur.

    Train on your own sharp photos without writing a dataset: load only
    the sharp image as ``results[gt_key]`` and this transform writes a
    camera-shake-blurred copy to ``results[img_key]`` (see
    :func:`~deblurkit.synthesis.synthesize_pair` and
    :class:`~deblurkit.synthesis.BlurSettings` for the arguments). Put it
    after cropping, so the blur is computed on the crop only.

    Randomness: each process draws from its own generator. In a DataLoader
    worker it is seeded from the worker's seed (different per worker and
    per epoch, reproducible when the run is seeded) mixed with ``seed``; in
    the main process from ``seed`` alone (None: fresh OS entropy).

    Required keys: ``gt_key``, ``H x W x 3`` float32 in [0, 1] (or uint8).

    Added keys: ``img_key``, same shape and dtype.

    Modified keys: ``gt_key``, when ``tone`` or ``lens_sigma`` > 0 (the tone
    curve and the lens softness apply to the target as well).

    Args:
        gt_key (str): Key of the sharp image. Defaults to ``'gt'``.
        img_key (str): Key to write the blurred image to. Defaults to
            ``'img'``.
        channel_order (str): ``'rgb'`` or ``'bgr'``, the order of the
            channels of ``results[gt_key]``. Defaults to ``'rgb'``.
        seed (int | None): See above. Defaults to None.
        **settings: The fields of :class:`BlurSettings`: ``blur``
            (``'gopro'``, ``'kernel'`` or ``'mixed'``), ``gopro_share``,
            ``min_length``, ``max_length``, ``max_rotation_px``, ``noise``,
            ``noise_prob``, ``jpeg_quality``, ``jpeg_prob``,
            ``random_centre``, ``linear_noise``, ``tone``, ``lens_sigma``;
            the defaults are :class:`BlurSettings`'s.
    """

    def __init__(self,
                 gt_key='gt',
                 img_key='img',
                 channel_order='rgb',
                 seed=None,
                 **settings):
        try:
            self.settings = BlurSettings(**settings)
        except TypeError as e:
            raise TypeError(f'SynthesizeMotionBlur: {e}; the blur options '
                            'are the fields of BlurSettings.') from None
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError('SynthesizeMotionBlur: channel_order must be '
                             f'"rgb" or "bgr", got {channel_order!r}.')
        self.gt_key = gt_key
        self.img_key = img_key
        self.channel_order = channel_order
        self.seed = seed
        self._rng = None
        self._rng_pid = None

    @property
    def rng(self):
        """This process's generator (a forked worker makes its own)."""
        if self._rng is None or self._rng_pid != os.getpid():
            entropy = [v for v in (self.seed, _worker_seed()) if v is not None]
            self._rng = np.random.default_rng(entropy or None)
            self._rng_pid = os.getpid()
        return self._rng

    def transform(self, results):
        if self.gt_key not in results:
            raise KeyError(
                f'SynthesizeMotionBlur: results has no {self.gt_key!r} (the '
                f'sharp image); it has {sorted(results)}. Load the sharp '
                'image first, or set gt_key.')
        gt = results[self.gt_key]
        sharp = as_float_image(gt, f'results[{self.gt_key!r}]')
        if sharp.ndim != 3 or sharp.shape[2] != 3:
            raise ValueError(f'SynthesizeMotionBlur: results[{self.gt_key!r}]'
                             f' must be H x W x 3, got {sharp.shape}.')
        if self.channel_order == 'bgr':
            sharp = sharp[..., ::-1]
        blurred, toned = synthesize_pair(sharp, self.rng, self.settings)
        outputs = [(self.img_key, blurred)]
        if self.settings.changes_sharp:  # tone curve / lens: a new target
            outputs.append((self.gt_key, toned))
        for key, img in outputs:
            if self.channel_order == 'bgr':
                img = img[..., ::-1]
            if gt.dtype == np.uint8:
                img = np.round(img * 255).astype(np.uint8)
            results[key] = np.ascontiguousarray(img)
        return results

    def __repr__(self):
        fields = ', '.join(f'{k}={v!r}'
                           for k, v in self.settings.to_dict().items())
        return (f'{type(self).__name__}({fields}, gt_key={self.gt_key!r}, '
                f'img_key={self.img_key!r}, '
                f'channel_order={self.channel_order!r}, seed={self.seed!r})')
