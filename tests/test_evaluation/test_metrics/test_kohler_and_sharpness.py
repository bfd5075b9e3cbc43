"""The Kohler protocol (best registered PSNR over the camera path) and the
no-reference sharpness score."""
import cv2
import numpy as np
import pytest
import torch

from conftest import write_kohler_dataset
from deblurkit.datasets import KohlerDataset
from deblurkit.datasets.image_io import read_image
from deblurkit.evaluation import (KohlerMetric, LaplacianVariance,
                                  calculate_psnr, kohler_score,
                                  laplacian_variance)
from deblurkit.structures import DeblurDataSample


def to_tensor(img):
    return torch.from_numpy(np.ascontiguousarray(
        img.transpose(2, 0, 1))).float() / 255


def frames_of(item):
    return [np.rint(read_image(p)[0] * 255.) for p in item['gt_frames']]


def test_best_frame_wins_after_registration(tmp_path):
    item = KohlerDataset(data_root=write_kohler_dataset(
        tmp_path, kernels=1, frames=5))[0]
    frames = frames_of(item)
    rng = np.random.default_rng(0)
    # The result is frame 3, a bit darker, shifted by a pixel, noisy.
    target = frames[3]
    pred = np.clip(
        np.rint(np.roll(target * 0.9, 1, axis=1) +
                rng.normal(0, 2, target.shape)), 0, 255)
    score = kohler_score(pred, frames)
    assert score['frame'] == 3
    assert score['unaligned'] == 0
    # Registered (gain + shift) it scores near the noise-only PSNR.
    noise_only = calculate_psnr(
        np.clip(np.rint(target + rng.normal(0, 2 / 0.9, target.shape)), 0,
                255), target)
    assert score['PSNR'] > noise_only - 4
    assert score['PSNR'] > max(calculate_psnr(pred, f) for f in frames) + 8
    assert 0.9 < score['SSIM'] <= 1


def test_metric_reads_the_frames_named_by_the_dataset(tmp_path):
    data = KohlerDataset(data_root=write_kohler_dataset(
        tmp_path, kernels=2, frames=4))
    metric = KohlerMetric(frame_step=2)
    samples, expected = [], []
    for item in data:
        frames = frames_of(item)
        pred = frames[2]
        ds = DeblurDataSample(metainfo=dict(key=item['key'],
                                            gt_frames=item['gt_frames']))
        ds.pred_img = to_tensor(pred)
        samples.append(ds)
        expected.append(kohler_score(pred, frames[::2]))
    metric.process({}, samples)
    result = metric.compute_metrics(metric.results)
    assert result['PSNR'] == pytest.approx(
        np.mean([e['PSNR'] for e in expected]))
    assert result['SSIM'] == pytest.approx(
        np.mean([e['SSIM'] for e in expected]))
    assert metric.per_image_results[0][0] == 'Blurry1_1'
    assert metric.per_image_results[0][1]['frame'] == 1  # frames[::2][1]
    with pytest.raises(KeyError, match="lacks gt_frames"):
        KohlerMetric().process({}, [DeblurDataSample(metainfo=dict(key='x'))])
    with pytest.raises(ValueError, match='frame_step'):
        KohlerMetric(frame_step=0)


def test_laplacian_variance_formula_and_metric():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (24, 30, 3)).astype(np.float64)
    gray = img @ np.array([0.299, 0.587, 0.114])
    padded = np.pad(gray, 1, mode='reflect')  # OpenCV's default border
    lap = (padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] +
           padded[1:-1, 2:] - 4 * gray)
    assert laplacian_variance(img) == pytest.approx(lap.var())
    blurred = cv2.GaussianBlur(img, (0, 0), 2)
    assert laplacian_variance(blurred) < laplacian_variance(img) / 10
    metric = LaplacianVariance()
    ds = DeblurDataSample(metainfo=dict(key='p'))
    ds.pred_img = to_tensor(np.rint(img))
    ds.input_img = to_tensor(np.rint(blurred))
    metric.process({}, [ds])
    out = metric.compute_metrics(metric.results)
    assert out['LapVar'] == pytest.approx(laplacian_variance(img))
    assert out['LapVar-input'] == pytest.approx(
        laplacian_variance(np.rint(blurred)))
