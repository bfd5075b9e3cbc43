"""tools/demo.py end to end on a tiny budget (the real run is `make demo`)."""
import json
import os.path as osp

import cv2
import numpy as np

from tools import demo


def test_demo_leaves_metrics_pictures_and_checkpoint(tmp_path, repo_root,
                                                     capsys):
    work_dir, data_root = tmp_path / 'demo', tmp_path / 'data'
    argv = [
        '--work-dir', str(work_dir), '--data-root', str(data_root),
        '--num-train', '8', '--num-test', '3', '--size', '64',
        '--max-iters', '4', '--grid-images', '2'
    ]
    assert demo.main(argv) == 0
    with open(work_dir / 'metrics.json') as f:
        metrics = json.load(f)
    assert metrics['num_images'] == 3
    assert metrics['iterations'] == 4
    for split in ('blurred', 'deblurred'):
        assert 5 < metrics[split]['PSNR'] < 60
        assert 0 < metrics[split]['SSIM'] <= 1
    assert abs(metrics['gain']['PSNR'] -
               (metrics['deblurred']['PSNR'] -
                metrics['blurred']['PSNR'])) < 1e-9
    grid = cv2.imread(str(work_dir / 'demo_grid.png'))
    # header + 2 rows of 64, three 64-wide columns
    assert grid.shape == (28 + 2 * 64, 3 * 64, 3)
    curves = cv2.imread(str(work_dir / 'training_curves.png'))
    assert curves is not None and curves.shape[1] > 500
    assert osp.isfile(work_dir / 'deblurganv2_mobilenet_demo.pth')
    out = capsys.readouterr().out
    assert 'blurred input' in out and 'gain' in out

    # A second run reuses the synthetic data instead of rewriting it.
    before = sorted(p.stat().st_mtime_ns for p in data_root.rglob('*.png'))
    assert demo.main(argv) == 0
    after = sorted(p.stat().st_mtime_ns for p in data_root.rglob('*.png'))
    assert before == after
    assert 'using the synthetic data' in capsys.readouterr().out
    assert np.isfinite(metrics['deblurred']['PSNR'])
