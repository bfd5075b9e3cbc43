"""Normalisation and padding between the pipeline and the model."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from deblurkit.registry import MODELS


@MODELS.register_module()
class DeblurDataPreprocessor(BaseDataPreprocessor):
    """Stack, map [0, 1] to [-1, 1] and pad to a multiple of ``pad_size``.

    The pipeline gives RGB float images in [0, 1]; the generator works in
    [-1, 1]. At val/test time every image is padded on the bottom/right
    (reflection, as the official ``test_metrics.py``) to a multiple of
    ``pad_size`` and to the largest image of the batch, and its unpadded size
    is written to its data sample as ``img_shape`` so the model can crop the
    output back. At training time crops share one size and are not padded.

    Args:
        pad_size (int): Multiple the padded size must reach (32: the
            generator's total stride).
        pad_mode (str): ``'reflect'``, ``'replicate'`` or ``'constant'``.

    Returns (``forward``): ``dict(inputs=Tensor[N, 3, H', W'] in [-1, 1],
    data_samples=list, gt=Tensor[N, 3, H, W] in [-1, 1] (training) or
    None)``.
    """

    def __init__(self, pad_size=32, pad_mode='reflect'):
        super().__init__()
        self.pad_size = pad_size
        self.pad_mode = pad_mode

    def pad(self, images):
        """Pad a list of ``(C, H, W)`` tensors to one multiple-of-32 size."""
        height = max(img.shape[-2] for img in images)
        width = max(img.shape[-1] for img in images)
        height += -height % self.pad_size
        width += -width % self.pad_size
        padded = []
        for img in images:
            pad_h, pad_w = height - img.shape[-2], width - img.shape[-1]
            mode = self.pad_mode
            if mode == 'reflect' and (pad_h >= img.shape[-2]
                                      or pad_w >= img.shape[-1]):
                mode = 'replicate'  # reflection needs the pad < the size
            if pad_h or pad_w:
                img = F.pad(img[None], (0, pad_w, 0, pad_h), mode=mode)[0]
            padded.append(img)
        return torch.stack(padded)

    def forward(self, data, training=False):
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs) if inputs.dim() == 4 else [inputs]
        data_samples = data.get('data_samples')
        if data_samples is not None:
            for img, sample in zip(inputs, data_samples):
                sample.set_metainfo(dict(img_shape=tuple(img.shape[-2:])))
        if training:
            sizes = {tuple(img.shape[-2:]) for img in inputs}
            if len(sizes) > 1:
                raise ValueError(
                    f'training crops must share one size, got {sorted(sizes)}'
                    '; crop in the pipeline (PairedRandomCrop)')
            batch = torch.stack(inputs)
        else:
            batch = self.pad(inputs)
        gt = None
        if training and data_samples is not None and all(
                'gt_img' in sample for sample in data_samples):
            gt = torch.stack([s.gt_img for s in data_samples]) * 2 - 1
        return dict(inputs=batch * 2 - 1, data_samples=data_samples, gt=gt)
