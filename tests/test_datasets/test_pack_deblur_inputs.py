"""PackDeblurInputs: the data contract between pipeline and model."""
import numpy as np
import torch

from deblurkit.datasets.transforms import PackDeblurInputs
from deblurkit.structures import DeblurDataSample


def test_pack_with_gt():
    img = np.random.RandomState(0).rand(4, 5, 3).astype(np.float32)
    gt = np.full((4, 5, 3), 255, np.uint8)
    out = PackDeblurInputs()(
        dict(
            img=img,
            gt=gt,
            img_path='a/blur.png',
            gt_path='a/sharp.png',
            key='a/blur',
            ori_shape=(4, 5),
            ori_channels=3,
            ori_dtype='uint8',
            sample_idx=7))
    assert set(out) == {'inputs', 'data_samples'}
    inputs, ds = out['inputs'], out['data_samples']
    assert inputs.dtype == torch.float32 and inputs.shape == (3, 4, 5)
    np.testing.assert_array_equal(inputs.numpy(), img.transpose(2, 0, 1))
    assert isinstance(ds, DeblurDataSample)
    assert ds.gt_img.dtype == torch.float32 and torch.all(ds.gt_img == 1)
    assert ds.metainfo == dict(
        img_path='a/blur.png',
        gt_path='a/sharp.png',
        key='a/blur',
        ori_shape=(4, 5),
        ori_channels=3,
        ori_dtype='uint8')


def test_pack_without_gt_and_repr():
    out = PackDeblurInputs()(
        dict(img=np.zeros((2, 3, 3), np.uint16), img_path='x.png', key='x'))
    assert out['inputs'].shape == (3, 2, 3)
    assert 'gt_img' not in out['data_samples']
    assert out['data_samples'].key == 'x'
    assert repr(PackDeblurInputs(meta_keys=['key'])) == (
        "PackDeblurInputs(img_key='img', gt_key='gt', meta_keys=['key'])")
