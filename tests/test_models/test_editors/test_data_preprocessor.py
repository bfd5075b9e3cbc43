import pytest
import torch

from deblurkit.models.data_preprocessors import DeblurDataPreprocessor
from deblurkit.structures import DeblurDataSample


def test_val_pads_to_32_and_records_sizes():
    pre = DeblurDataPreprocessor()
    imgs = [torch.rand(3, 40, 50), torch.rand(3, 33, 64)]
    samples = [DeblurDataSample(), DeblurDataSample()]
    out = pre(dict(inputs=imgs, data_samples=samples), False)
    assert out['inputs'].shape == (2, 3, 64, 64)
    assert [s.img_shape for s in out['data_samples']] == [(40, 50), (33, 64)]
    assert torch.allclose(out['inputs'][0, :, :40, :50], imgs[0] * 2 - 1)
    # Reflection padding, as the official test_metrics.py.
    assert torch.allclose(out['inputs'][0, :, 40, :50], imgs[0][:, 38] * 2 - 1)
    assert out['gt'] is None


def test_training_maps_inputs_and_gt_to_minus_one_one():
    pre = DeblurDataPreprocessor()
    img, gt = torch.rand(3, 32, 32), torch.rand(3, 32, 32)
    out = pre(
        dict(inputs=[img], data_samples=[DeblurDataSample(gt_img=gt)]), True)
    assert torch.allclose(out['inputs'][0], img * 2 - 1)
    assert torch.allclose(out['gt'][0], gt * 2 - 1)


def test_training_crops_must_share_a_size():
    pre = DeblurDataPreprocessor()
    with pytest.raises(ValueError, match='PairedRandomCrop'):
        pre(dict(inputs=[torch.rand(3, 32, 32), torch.rand(3, 64, 32)]), True)
