"""PSNR and SSIM against a plain re-implementation and known values."""
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from deblurkit.evaluation import PSNR, SSIM, calculate_psnr, calculate_ssim
from deblurkit.structures import DeblurDataSample


def pair(h=40, w=48, seed=0):
    rng = np.random.RandomState(seed)
    img1 = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
    noise = rng.randint(-30, 31, (h, w, 3))
    img2 = np.clip(img1.astype(int) + noise, 0, 255).astype(np.uint8)
    return img1, img2


# An independent, deliberately plain implementation: explicit windows and
# a Gaussian written from its formula, no OpenCV.
def reference_ssim_channel(a, b):
    x = np.arange(11) - 5
    g = np.exp(-x**2 / (2 * 1.5**2))
    window = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * 255)**2, (0.03 * 255)**2
    wa = np.lib.stride_tricks.sliding_window_view(a, (11, 11))
    wb = np.lib.stride_tricks.sliding_window_view(b, (11, 11))

    def mean(v):
        return (v * window).sum(axis=(-2, -1))

    mu_a, mu_b = mean(wa), mean(wb)
    var_a = mean(wa**2) - mu_a**2
    var_b = mean(wb**2) - mu_b**2
    cov = mean(wa * wb) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) *
                (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) *
                                   (var_a + var_b + c2))
    return ssim_map.mean()


def reference_y(img):
    img = img.astype(np.float64) / 255.
    return (16 + 65.481 * img[..., 0] + 128.553 * img[..., 1] +
            24.966 * img[..., 2])[..., None]


def reference(img1, img2, crop=0, y=False):
    a, b = img1.astype(np.float64), img2.astype(np.float64)
    if crop:
        a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
    if y:
        a, b = reference_y(a), reference_y(b)
    psnr = 10 * math.log10(255.**2 / np.mean((a - b)**2))
    ssim = np.mean([
        reference_ssim_channel(a[..., c], b[..., c]) for c in range(a.shape[2])
    ])
    return psnr, ssim


@pytest.mark.parametrize('crop,y', [(0, False), (4, False), (0, True),
                                    (3, True)])
def test_matches_reference(crop, y):
    img1, img2 = pair()
    psnr, ssim = reference(img1, img2, crop, y)
    convert_to = 'Y' if y else None
    assert calculate_psnr(img1, img2, crop, convert_to) == pytest.approx(
        psnr, abs=1e-4)
    assert calculate_ssim(img1, img2, crop, convert_to) == pytest.approx(
        ssim, abs=1e-4)
    # Float input in 0-255 gives the same numbers as uint8.
    assert calculate_ssim(img1.astype(np.float32), img2, crop,
                          convert_to) == pytest.approx(
                              ssim, abs=1e-4)


def test_known_values():
    img = np.full((20, 24, 3), 100, np.uint8)
    # MSE = 5^2 everywhere: PSNR = 20 log10(255 / 5).
    assert calculate_psnr(img, img + 5) == pytest.approx(
        20 * math.log10(51), abs=1e-9)
    assert calculate_psnr(img, img) == float('inf')
    assert calculate_ssim(img, img) == pytest.approx(1.)
    # Flat images: SSIM = (2ab + C1) / (a^2 + b^2 + C1).
    c1 = (0.01 * 255)**2
    expected = (2 * 100 * 105 + c1) / (100**2 + 105**2 + c1)
    assert calculate_ssim(img, img + 5) == pytest.approx(expected, abs=1e-9)
    # Y of a grey offset is the offset times (65.481+128.553+24.966)/255.
    scale = (65.481 + 128.553 + 24.966) / 255
    assert calculate_psnr(
        img, img + 5, convert_to='y') == pytest.approx(
            20 * math.log10(255 / (5 * scale)), abs=1e-9)


def test_crop_border_ignores_the_border():
    img1, _ = pair()
    img2 = img1.copy()
    img2[:2] = 0
    img2[:, -2:] = 255
    assert calculate_psnr(img1, img2) < 30
    assert calculate_psnr(img1, img2, crop_border=2) == float('inf')
    assert calculate_ssim(img1, img2, crop_border=2) == pytest.approx(1.)


def test_argument_errors():
    img1, img2 = pair()
    with pytest.raises(ValueError, match='differ in shape'):
        calculate_psnr(img1, img2[:10])
    with pytest.raises(ValueError, match='convert_to'):
        calculate_ssim(img1, img2, convert_to='YCbCr')
    with pytest.raises(ValueError, match='crop_border'):
        calculate_psnr(img1, img2, crop_border=20)
    with pytest.raises(ValueError, match='at least 11x11'):
        calculate_ssim(img1[:10], img2[:10])
    with pytest.raises(ValueError, match='convert_to'):
        PSNR(convert_to='lab')


def as_tensor(img):
    return torch.from_numpy(img.transpose(2, 0, 1).astype(np.float32) / 255.)


def test_metrics_average_per_image_and_keep_records():
    samples = []
    expected = {}
    for i in range(3):
        img1, img2 = pair(seed=i)
        key = f'seq/{i:06d}'
        expected[key] = (calculate_psnr(img2,
                                        img1), calculate_ssim(img2, img1))
        ds = DeblurDataSample(metainfo=dict(key=key))
        ds.pred_img, ds.gt_img = as_tensor(img2), as_tensor(img1)
        samples.append(ds)
    psnr, ssim = PSNR(), SSIM()
    # The Evaluator turns data samples into dicts; pass one of each kind.
    psnr.process({}, [s.to_dict() for s in samples[:2]])
    psnr.process({}, samples[2:])
    ssim.process({}, [s.to_dict() for s in samples])
    assert psnr.compute_metrics(psnr.results) == {
        'PSNR': pytest.approx(np.mean([v[0] for v in expected.values()]))
    }
    assert ssim.compute_metrics(ssim.results) == {
        'SSIM': pytest.approx(np.mean([v[1] for v in expected.values()]))
    }
    assert [k for k, _ in psnr.per_image_results] == list(expected)
    for (key, value), (key2, value2) in zip(psnr.per_image_results,
                                            ssim.per_image_results):
        assert key == key2
        assert value == pytest.approx(expected[key][0])
        assert value2 == pytest.approx(expected[key][1])


def test_rounding_to_8bit_levels_through_evaluator():
    gt = torch.full((3, 16, 16), 100 / 255.)
    # Off by 0.3 of a level (rounds back) and out of range (clamped).
    pred = gt + 0.3 / 255.
    pred[:, 0, 0] = 1.7
    ds = DeblurDataSample(metainfo=dict(key='a'))
    ds.pred_img, ds.gt_img = pred, gt
    with DefaultScope.overwrite_default_scope('deblurkit'):
        evaluator = Evaluator([dict(type='PSNR'), dict(type='SSIM')])
    evaluator.process([ds])
    # One pixel of 256 per channel is off by 155 levels.
    mse = 155**2 / 256
    results = evaluator.evaluate(1)
    assert results['PSNR'] == pytest.approx(10 * math.log10(255**2 / mse))
    assert 0 < results['SSIM'] < 1
    assert evaluator.metrics[0].per_image_results[0][0] == 'a'


def test_missing_prediction_or_size_mismatch_named():
    ds = DeblurDataSample(metainfo=dict(key='k1'))
    ds.gt_img = torch.zeros(3, 16, 16)
    with pytest.raises(KeyError, match="'k1' has no 'pred_img'"):
        PSNR().process({}, [ds])
    ds.pred_img = torch.zeros(3, 16, 8)
    with pytest.raises(ValueError, match="'k1' differ in size"):
        SSIM().process({}, [ds])


def test_repr():
    assert repr(PSNR(crop_border=4, convert_to='y')) == (
        "PSNR(crop_border=4, convert_to='Y', prefix=None)")
