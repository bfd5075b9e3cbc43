"""Fixtures of the deployment tests: a tiny model, its ONNX export, images."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from deblurkit.apis import init_model
from deblurkit.models.generators.fast.onnx_export import export_onnx

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CONFIG = osp.join(REPO, 'tests', 'data', 'configs',
                       'deblurganv2_tiny.py')


def texture(seed, size=(64, 80)):
    """A smooth, blurred BGR uint8 image (not noise: like a photo)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (size[0] // 8, size[1] // 8, 3),
                         dtype=np.uint8)
    img = cv2.resize(small, size[::-1], interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(img, (5, 5), 1.5)


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory):
    """A deblurkit checkpoint of the tiny config (per-image statistics)."""
    torch.manual_seed(0)
    model = init_model(TINY_CONFIG)
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    torch.save({'state_dict': {f'generator.{k}': v for k, v in
                               model.generator.state_dict().items()}}, path)
    return path


@pytest.fixture(scope='session')
def tiny_model(tiny_checkpoint):
    return init_model(TINY_CONFIG, tiny_checkpoint)


@pytest.fixture(scope='session')
def tiny_onnx(tmp_path_factory, tiny_model):
    """The tiny generator exported with dynamic batch, height and width."""
    path = str(tmp_path_factory.mktemp('onnx') / 'tiny.onnx')
    export_onnx(tiny_model.generator, path, (64, 64), dynamic=True)
    return path


@pytest.fixture(scope='session')
def calib_dir(tmp_path_factory):
    """Two calibration images."""
    root = tmp_path_factory.mktemp('calib')
    for i in range(2):
        cv2.imwrite(str(root / f'calib{i}.png'), texture(10 + i))
    return str(root)


@pytest.fixture(scope='session')
def damped_onnx(tmp_path_factory, tiny_checkpoint):
    """The tiny generator with its residual scaled by 0.1, exported: close
    to a trained deblurring network (a small correction of the input),
    where a random one amplifies every rounding error."""
    generator = init_model(TINY_CONFIG, tiny_checkpoint).generator
    with torch.no_grad():
        generator.head.final.weight.mul_(0.1)
        generator.head.final.bias.mul_(0.1)
    path = str(tmp_path_factory.mktemp('onnx') / 'damped.onnx')
    export_onnx(generator, path, (64, 64), dynamic=True)
    return path


@pytest.fixture(scope='session')
def tiny_int8(tmp_path_factory, damped_onnx, calib_dir):
    """``damped_onnx`` quantised with the two calibration images."""
    from deblurkit.deploy.quantize import quantize_onnx
    path = str(tmp_path_factory.mktemp('int8') / 'damped_int8.onnx')
    info = quantize_onnx(damped_onnx, calib_dir, path)
    assert info['images'] == 2 and not info['skipped']
    return path
