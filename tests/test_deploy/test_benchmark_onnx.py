"""tools/analysis_tools/benchmark_onnx.py on the tiny config (what it
reports, not how fast)."""
import json
import os

import cv2
import pytest

from conftest import TINY_CONFIG, texture
from tools.analysis_tools import benchmark_onnx as tool

pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')


def test_reports_speed_and_fidelity(tmp_path, tiny_checkpoint, calib_dir,
                                    capsys):
    # GoPro's layout: only blur/ images are deblurred, against sharp/.
    for folder in ('blur', 'sharp'):
        os.makedirs(tmp_path / 'eval' / folder)
        cv2.imwrite(str(tmp_path / 'eval' / folder / 'a.png'), texture(5))
    out = tmp_path / 'r.json'
    assert tool.main([TINY_CONFIG, '--checkpoint', tiny_checkpoint,
                      '--calib', calib_dir, '--eval', str(tmp_path / 'eval'),
                      '--shape', '64', '64', '--repeat', '2', '--warmup',
                      '0', '--threads', '1', '--out', str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result['speed']) == {'pytorch', 'onnx_fp32', 'onnx_int8'}
    for path in result['speed'].values():
        assert path['latency_s']['median'] > 0
    assert result['speed']['onnx_int8']['speedup_vs_onnx_fp32'] > 0
    assert result['quantization']['images'] == 2
    fid = result['fidelity']
    assert fid['images'] == 1 and fid['sharp_images'] == 1
    # float32 ONNX reproduces PyTorch but for rounding.
    assert fid['psnr_fp32_vs_pytorch'] > 50
    assert set(fid['psnr_vs_sharp']) == {'pytorch', 'onnx_fp32', 'onnx_int8'}
    assert 'PSNR over 1 images' in capsys.readouterr().out


def test_needs_calibration_or_an_int8_model(capsys):
    with pytest.raises(SystemExit) as exit_info:
        tool.main([TINY_CONFIG])
    assert exit_info.value.code == 2
    assert '--calib' in capsys.readouterr().err
