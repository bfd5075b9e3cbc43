"""The round trip between images and the generator: normalise and pad on
the way in, crop and map back on the way out.

:class:`DeblurDataPreprocessor` is the one place that does it for the model
(val/test), ``deblurkit.apis`` and ``tools/test.py``; :func:`pad_to_multiple`
is the one padding rule, also used where a generator pads itself
(``FPNGenerator``, :class:`~deblurkit.models.generators.contract.SizeAdapter`),
in the ONNX graph and by ``benchmark.py``.
"""
import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from deblurkit.registry import MODELS

PAD_MODES = ('reflect', 'replicate', 'constant')


def padded_size(size, multiple):
    """``(H, W)`` rounded up to multiples of ``multiple``."""
    return tuple(int(s) + -int(s) % multiple for s in size)


def _pad_by(x, pad_h, pad_w, mode, always):
    h, w = x.shape[-2:]
    if not always and not (pad_h or pad_w):
        return x
    if mode == 'reflect' and not _tracing() and (pad_h >= h or pad_w >= w):
        mode = 'replicate'  # reflection needs the pad < the size
    if x.dim() == 3:  # F.pad reads a 3-D reflect/replicate input as batched
        return F.pad(x[None], (0, pad_w, 0, pad_h), mode=mode)[0]
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)


def _tracing():
    return torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()


def pad_to(x, height, width, mode='reflect', always=False):
    """Pad ``x`` (``(C, H, W)`` or ``(N, C, H, W)``) on the bottom/right to
    ``height x width``.

    Reflection needs a pad smaller than the size; where it is not, the
    image is replicated instead. While tracing (ONNX export) the mode is
    kept as given, so the graph has no size-dependent branch (an exported
    reflect model therefore needs H and W of at least its multiple).

    Args:
        x (Tensor): The image(s).
        height, width (int): The size to reach (not smaller than x's).
        mode (str): ``'reflect'``, ``'replicate'`` or ``'constant'`` (zeros).
        always (bool): Pad even by 0 pixels (one graph for every size).
    """
    h, w = x.shape[-2:]
    return _pad_by(x, height - h, width - w, mode, always)


def pad_to_multiple(x, multiple, mode='reflect', always=False):
    """Pad ``x`` on the bottom/right to multiples of ``multiple`` (as
    :func:`pad_to`)."""
    h, w = x.shape[-2:]
    return _pad_by(x, (-h) % multiple, (-w) % multiple, mode, always)


@MODELS.register_module()
class DeblurDataPreprocessor(BaseDataPreprocessor):
    """Stack, map [0, 1] to [-1, 1] and pad to a multiple of ``pad_size``;
    :meth:`destruct` undoes it.

    The pipeline gives RGB float images in [0, 1]; the generator works in
    [-1, 1]. At val/test time every image is padded on the bottom/right
    (reflection, as the official ``test_metrics.py``) to a multiple of
    ``pad_size`` and to the largest image of the batch. What was done is
    written to each data sample: ``img_shape`` (its size before padding)
    and ``padding_size`` (rows and columns added), which :meth:`destruct`
    reads to crop the generator's output back. At training time crops share
    one size and are not padded.

    Args:
        pad_size (int): Multiple the padded size must reach (32: the
            generator's total stride; the model raises it to a multiple of
            its generator's ``pad_multiple``).
        pad_mode (str): ``'reflect'``, ``'replicate'`` or ``'constant'``.

    Returns (``forward``): ``dict(inputs=Tensor[N, 3, H', W'] in [-1, 1],
    data_samples=list, gt=Tensor[N, 3, H, W] in [-1, 1] (training) or
    None)``.
    """

    def __init__(self, pad_size=32, pad_mode='reflect'):
        super().__init__()
        if pad_mode not in PAD_MODES:
            raise ValueError(f'model.data_preprocessor.pad_mode must be one '
                             f'of {PAD_MODES}, got {pad_mode!r}')
        self.pad_size = pad_size
        self.pad_mode = pad_mode

    def pad(self, images):
        """Pad a list of ``(C, H, W)`` tensors to one multiple-of-``pad_size``
        size (the largest, rounded up); returns ``(N, C, H', W')``."""
        height, width = padded_size(
            (max(img.shape[-2] for img in images),
             max(img.shape[-1] for img in images)), self.pad_size)
        return torch.stack(
            [pad_to(img, height, width, self.pad_mode) for img in images])

    def forward(self, data, training=False):
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs) if inputs.dim() == 4 else [inputs]
        data_samples = data.get('data_samples')
        if training:
            sizes = {tuple(img.shape[-2:]) for img in inputs}
            if len(sizes) > 1:
                raise ValueError(
                    f'training crops must share one size, got {sorted(sizes)}'
                    '; crop in the pipeline (PairedRandomCrop)')
            batch = torch.stack(inputs)
        else:
            batch = self.pad(inputs)
        if data_samples is not None:
            for img, sample in zip(inputs, data_samples):
                h, w = img.shape[-2:]
                sample.set_metainfo(
                    dict(img_shape=(h, w),
                         padding_size=(batch.shape[-2] - h,
                                       batch.shape[-1] - w)))
        gt = None
        if training and data_samples is not None and all(
                'gt_img' in sample for sample in data_samples):
            gt = torch.stack([s.gt_img for s in data_samples]) * 2 - 1
        return dict(inputs=batch * 2 - 1, data_samples=data_samples, gt=gt)

    @staticmethod
    def destruct(outputs, data_samples=None):
        """Undo :meth:`forward` on a batch in [-1, 1] (the generator's output
        or the inputs): crop each image to its ``img_shape`` and map it to
        [0, 1] (clamped).

        Args:
            outputs (Tensor): ``(N, C, H', W')``.
            data_samples (list, optional): Those :meth:`forward` filled in;
                without them (or their ``img_shape``) nothing is cropped.

        Returns:
            list[Tensor]: ``(C, H, W)`` per image, ``outputs``' dtype.
        """
        images = []
        for i, out in enumerate(outputs):
            meta = data_samples[i].metainfo if data_samples else {}
            h, w = meta.get('img_shape', out.shape[-2:])
            images.append(((out[:, :h, :w] + 1) / 2).clamp(0, 1))
        return images
