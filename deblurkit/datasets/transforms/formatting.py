"""Packing a sample into what the model's data preprocessor takes."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from deblurkit.registry import TRANSFORMS
from deblurkit.structures import DeblurDataSample
from ..image_io import to_float32


def image_to_tensor(img, path='<array>'):
    """``H x W x C`` array -> ``Tensor[C, H, W]`` float32 in [0, 1].

    uint8 and uint16 arrays are scaled (/ 255, / 65535); float arrays are
    taken as already in [0, 1]. Grayscale (2-D) becomes one channel.
    """
    img = to_float32(np.asarray(img), path)
    if img.ndim == 2:
        img = img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackDeblurInputs(BaseTransform):
    """Pack ``img`` (and ``gt``) into ``inputs`` and a ``DeblurDataSample``.

    Output: ``dict(inputs=Tensor[3, H, W], data_samples=DeblurDataSample)``,
    the blurred image as float32 RGB in [0, 1]; the data sample holds
    ``gt_img`` (same format) when ``gt`` is in the results, and the meta
    fields named in ``meta_keys`` that the results have.

    Args:
        img_key (str): The blurred image. Defaults to ``'img'``.
        gt_key (str): The sharp image, optional in the results. Defaults to
            ``'gt'``.
        meta_keys (Sequence[str]): Copied into the data sample's metainfo.
            Defaults to ``('img_path', 'gt_path', 'key', 'ori_shape',
            'ori_channels', 'ori_dtype')``.
    """

    def __init__(self,
                 img_key='img',
                 gt_key='gt',
                 meta_keys=('img_path', 'gt_path', 'key', 'ori_shape',
                            'ori_channels', 'ori_dtype')):
        self.img_key = img_key
        self.gt_key = gt_key
        self.meta_keys = tuple(meta_keys)

    def transform(self, results):
        if self.img_key not in results:
            raise KeyError(
                f'PackDeblurInputs: results have no {self.img_key!r} '
                f'(sample {results.get("key")!r}); put LoadPairedImages '
                'before it.')
        data_sample = DeblurDataSample(
            metainfo={k: results[k]
                      for k in self.meta_keys if k in results})
        if results.get(self.gt_key) is not None:
            data_sample.gt_img = image_to_tensor(
                results[self.gt_key], results.get(f'{self.gt_key}_path'))
        inputs = image_to_tensor(results[self.img_key],
                                 results.get(f'{self.img_key}_path'))
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self):
        return (f'{type(self).__name__}(img_key={self.img_key!r}, '
                f'gt_key={self.gt_key!r}, meta_keys={list(self.meta_keys)})')
