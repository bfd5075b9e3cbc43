import pytest
import torch

from deblurkit.models.data_preprocessors import (DeblurDataPreprocessor,
                                                pad_to_multiple)
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


def test_records_the_padding_and_destruct_undoes_it():
    pre = DeblurDataPreprocessor()
    imgs = [torch.rand(3, 40, 50), torch.rand(3, 33, 64)]
    samples = [DeblurDataSample(), DeblurDataSample()]
    out = pre(dict(inputs=imgs, data_samples=samples), False)
    assert [s.padding_size for s in out['data_samples']] == [(24, 14),
                                                            (31, 0)]
    back = pre.destruct(out['inputs'], out['data_samples'])
    assert [tuple(b.shape) for b in back] == [(3, 40, 50), (3, 33, 64)]
    for b, img in zip(back, imgs):
        torch.testing.assert_close(b, img, atol=1e-6, rtol=0)
    # [-1, 1] -> [0, 1], clamped; without data samples nothing is cropped
    full = pre.destruct(torch.tensor([[[[-3.0, 0.0, 3.0]]]]))
    assert full[0].tolist() == [[[0.0, 0.5, 1.0]]]


def test_training_records_no_padding():
    pre = DeblurDataPreprocessor()
    sample = DeblurDataSample(gt_img=torch.rand(3, 32, 32))
    out = pre(dict(inputs=[torch.rand(3, 32, 32)], data_samples=[sample]),
              True)
    sample = out['data_samples'][0]
    assert sample.img_shape == (32, 32) and sample.padding_size == (0, 0)


def test_reflection_falls_back_to_replication_for_small_images():
    x = torch.arange(10.).reshape(1, 1, 2, 5)
    out = pad_to_multiple(x, 4, 'reflect')  # pad 2 rows: not < 2 rows
    assert out.shape == (1, 1, 4, 8)
    assert torch.equal(out[0, 0, 3, :5], x[0, 0, 1])  # replicated row
    assert torch.equal(out[0, 0, 0, 5:], torch.tensor([4., 4., 4.]))
    wide = torch.arange(30.).reshape(1, 1, 6, 5)
    reflected = pad_to_multiple(wide, 4, 'reflect')
    assert torch.equal(reflected[0, 0, 6, :5], wide[0, 0, 4])  # reflected
    assert pad_to_multiple(x, 1) is x  # nothing to pad: the input itself
    assert pad_to_multiple(x, 1, always=True) is not x


def test_the_traced_graph_keeps_the_mode(monkeypatch):
    # An ONNX graph cannot branch on the size: while tracing the mode stays
    # reflect, and reflection of 2 rows by 2 rows is refused by torch.
    x = torch.rand(1, 1, 2, 5)
    monkeypatch.setattr(torch.jit, 'is_tracing', lambda: True)
    with pytest.raises(RuntimeError):
        pad_to_multiple(x, 4, 'reflect')
    traced = torch.jit.trace(
        lambda t: pad_to_multiple(t, 4, 'replicate', always=True),
        torch.rand(1, 1, 5, 5))
    assert traced(torch.rand(1, 1, 7, 9)).shape == (1, 1, 8, 12)


def test_bad_pad_mode_is_named():
    with pytest.raises(ValueError, match="pad_mode must be one of"):
        DeblurDataPreprocessor(pad_mode='wrap')
