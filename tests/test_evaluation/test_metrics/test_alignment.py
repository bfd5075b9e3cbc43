"""The RealBlur protocol: register, mask, score."""
import math

import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from deblurkit.evaluation import (PSNR, SSIM, align_to_reference,
                                  calculate_psnr, calculate_ssim)
from deblurkit.structures import DeblurDataSample


def texture(h=64, w=64, seed=0):
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0),
                           1.5)
    img = (img - img.min()) / (img.max() - img.min())
    return np.rint(img * 235 + 10)


# A small known homography: 1.5 px right, 1 px down, a 0.5 degree turn and
# a slight perspective term.
ANGLE = math.radians(0.5)
H = np.array([[math.cos(ANGLE), -math.sin(ANGLE), 1.5],
              [math.sin(ANGLE), math.cos(ANGLE), 1.0], [2e-5, -1e-5, 1]])


def warp(img, matrix):
    h, w = img.shape[:2]
    return cv2.warpPerspective(img.astype(np.float32), matrix, (w, h),
                               flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REFLECT).astype(
                                   np.float64)


def noisy(img, seed=1, sigma=4.0):
    rng = np.random.default_rng(seed)
    return np.clip(np.rint(img + rng.normal(0, sigma, img.shape)), 0, 255)


def test_warped_copy_scores_near_the_unshifted_psnr_only_when_aligned():
    gt = texture()
    pred = noisy(gt)
    reference = calculate_psnr(pred, gt)
    moved = np.clip(np.rint(warp(pred, H)), 0, 255)
    unaligned = calculate_psnr(moved, gt)
    aligned = align_to_reference(moved, gt)
    assert aligned.converged
    realigned = calculate_psnr(aligned.pred, aligned.gt, mask=aligned.mask)
    assert reference > 35
    assert unaligned < reference - 10
    assert abs(realigned - reference) < 1.0
    # The mask drops the border the warp could not fill, not more.
    assert 0.85 < aligned.mask.mean() < 1
    ssim_aligned = calculate_ssim(aligned.pred, aligned.gt, mask=aligned.mask)
    assert ssim_aligned > calculate_ssim(moved, gt) + 0.3
    assert ssim_aligned == pytest.approx(calculate_ssim(pred, gt), abs=0.02)


def test_intensity_gain_is_matched_and_scores_use_only_the_overlap():
    gt = texture(seed=3)
    pred = gt * 0.7  # darker but otherwise identical
    aligned = align_to_reference(pred, gt)
    assert aligned.converged
    # Gain and identity warp recovered: the overlap matches almost exactly.
    assert calculate_psnr(aligned.pred, aligned.gt,
                          mask=aligned.mask) > 50
    assert calculate_psnr(pred, gt) < 20
    # Masked PSNR is the MSE over the masked pixels only.
    a, b = noisy(gt), gt
    mask = np.zeros_like(a)
    mask[10:40, 5:50] = 1
    mse = np.mean((a[10:40, 5:50] - b[10:40, 5:50])**2)
    assert calculate_psnr(a * mask, b * mask, mask=mask) == pytest.approx(
        10 * math.log10(255**2 / mse))


def test_sizes_may_differ_under_alignment():
    gt = texture(70, 64, seed=4)
    pred = noisy(gt)[:66, :60]
    aligned = align_to_reference(pred, gt)
    assert aligned.converged
    assert aligned.pred.shape == gt.shape
    assert calculate_psnr(aligned.pred, aligned.gt, mask=aligned.mask) > 35
    # The rows and columns the prediction lacks are outside the overlap.
    assert aligned.mask[-3:].sum() == 0 and aligned.mask[:, -3:].sum() == 0


def sample(key, pred, gt):
    ds = DeblurDataSample(metainfo=dict(key=key))
    ds.pred_img = torch.from_numpy(pred.transpose(2, 0, 1) / 255.).float()
    ds.gt_img = torch.from_numpy(gt.transpose(2, 0, 1) / 255.).float()
    return ds


def test_metrics_with_align_option_and_failed_alignment_flagged(caplog):
    gt = texture(seed=5)
    pred = noisy(gt)
    moved = np.clip(np.rint(warp(pred, H)), 0, 255)
    flat = np.full_like(gt, 128.)  # ECC cannot register a flat image
    for metric in (PSNR(align='realblur'), SSIM(align='realblur')):
        metric.process({}, [sample('moved', moved, gt),
                            sample('flat', flat, gt)])
        with caplog.at_level('WARNING'):
            MMLogger.get_instance('align_test')
            metric.compute_metrics(metric.results)
        scores = dict(metric.per_image_results)
        assert metric.unaligned_keys == ['flat']
        if isinstance(metric, PSNR):
            assert scores['moved'] > calculate_psnr(pred, gt) - 1
            assert scores['flat'] == pytest.approx(calculate_psnr(flat, gt))
        else:
            assert scores['flat'] == pytest.approx(calculate_ssim(flat, gt))
    assert "align='realblur'" in repr(PSNR(align='realblur'))
    with pytest.raises(ValueError, match='align must be None or one of'):
        PSNR(align='ecc')
    # Without alignment a size mismatch stays an error naming the image.
    with pytest.raises(ValueError, match="'short' differ in size"):
        PSNR().process({}, [sample('short', pred[:60], gt)])
