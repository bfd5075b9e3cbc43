"""Steps the tool tests share: run tools/test.py, tools/deblur.py."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from conftest import as_cli

from deblurkit.apis import deblur_image
from deblurkit.evaluation import calculate_psnr
from tools import deblur as deblur_tool
from tools import test as test_tool


def gopro_pairs(root):
    """``(blur, sharp)`` uint8 BGR arrays of a GoPro-layout folder."""
    for blur_path in sorted(glob.glob(osp.join(root, '*', 'blur', '*.png'))):
        yield (cv2.imread(blur_path),
               cv2.imread(blur_path.replace('/blur/', '/sharp/')))


def run_test_tool(config, checkpoint, work, data_root, options, out):
    """tools/test.py on ``data_root``; returns its JSON scores."""
    assert test_tool.main([config, checkpoint, '--work-dir', work, '--out',
                           out] + as_cli({
                               'test_dataloader.dataset.data_root':
                               data_root, **options})) == 0
    with open(out) as f:
        return json.load(f)


def assert_test_tool_matches_api(config, checkpoint, model, work,
                                 data_root, options, out):
    """tools/test.py's PSNR equals that of ``deblur_image``'s outputs."""
    scores = run_test_tool(config, checkpoint, work, data_root, options, out)
    psnrs = [
        calculate_psnr(
            deblur_image(model, blur).astype(np.float64),
            sharp.astype(np.float64))
        for blur, sharp in gopro_pairs(data_root)
    ]
    assert scores['metrics']['PSNR'] == pytest.approx(np.mean(psnrs),
                                                      abs=1e-3)
    return scores


def assert_deblur_tool_matches_api(config, checkpoint, model, folder,
                                   options, shape):
    """tools/deblur.py on a random ``shape`` image writes what
    ``deblur_image`` returns."""
    img = np.random.default_rng(0).integers(0, 256, shape, np.uint8)
    cv2.imwrite(osp.join(folder, 'a.png'), img)
    assert deblur_tool.main([
        osp.join(folder, 'a.png'), '--config', config, '--checkpoint',
        checkpoint, '--out', osp.join(folder, 'out')
    ] + as_cli(options)) == 0
    np.testing.assert_array_equal(
        cv2.imread(osp.join(folder, 'out', 'a.png')), deblur_image(model, img))
