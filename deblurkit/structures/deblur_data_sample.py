"""The data element that travels between pipelines, model and metrics."""
from mmengine.structures import BaseDataElement


class DeblurDataSample(BaseDataElement):
    """One image's annotations and predictions.

    Data fields (all ``Tensor[C, H, W]``, float32, RGB, values in [0, 1]):

    - ``gt_img``: the sharp image, when the dataset has one.
    - ``pred_img``: the deblurred image, cropped back to the input's size.
    - ``input_img``: the blurred input (set by the model at val/test time,
      for visualisation).

    Meta fields: ``img_path`` (blurred file), ``gt_path`` (sharp file),
    ``key`` (a name relative to the dataset root, unique in the dataset),
    ``ori_shape`` (``(H, W)`` as read), ``ori_channels`` (1, 3 or 4 as
    read), ``ori_dtype`` (``'uint8'`` or ``'uint16'``).
    """
