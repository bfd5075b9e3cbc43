"""tools/deblur.py --backend onnxruntime / opencv."""
import importlib.util
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from conftest import REPO, TINY_CONFIG, texture
from deblurkit.apis import deblur_image

pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

_spec = importlib.util.spec_from_file_location(
    'deblur_tool_backends', osp.join(REPO, 'tools', 'deblur.py'))
deblur_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deblur_tool)


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / 'in'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a.png'), texture(1, (64, 80)))
    cv2.imwrite(str(folder / 'b.png'), texture(2, (50, 71)))
    return folder


@pytest.mark.parametrize('backend', ['onnxruntime', 'opencv'])
def test_onnx_backend_writes_what_pytorch_writes(backend, inputs, tmp_path,
                                                 tiny_onnx, tiny_model):
    out = tmp_path / 'out'
    assert deblur_tool.main([str(inputs), '--backend', backend,
                             '--checkpoint', tiny_onnx, '--out',
                             str(out)]) == 0
    for name in ('a.png', 'b.png'):
        got = cv2.imread(str(out / name))
        want = deblur_image(tiny_model, str(inputs / name))
        diff = np.abs(got.astype(int) - want.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01


def test_int8_model_runs_with_batches(inputs, tmp_path, tiny_int8):
    out = tmp_path / 'out'
    assert deblur_tool.main([str(inputs), '--backend', 'onnxruntime',
                             '--checkpoint', tiny_int8, '--out', str(out),
                             '--batch-size', '2', '--tile', '64']) == 0
    assert sorted(p for p in os.listdir(out) if not p.startswith('.')) == [
        'a.png', 'b.png']


@pytest.mark.parametrize('extra, message', [
    (['--backend', 'onnxruntime', '--checkpoint', 'CKPT'],
     'runs an exported .onnx model'),
    (['--checkpoint', 'ONNX', '--config', TINY_CONFIG],
     'is an ONNX model: add --backend onnxruntime'),
    (['--checkpoint', 'CKPT'], '--config is required'),
    (['--backend', 'onnxruntime', '--checkpoint', 'ONNX', '--config',
      TINY_CONFIG], '--config: not available with --backend onnxruntime'),
    (['--backend', 'opencv', '--checkpoint', 'ONNX',
      '--temporal-smoothing', '--temporal-mode', 'stats'],
     '--temporal-mode stats: not available'),
    (['--backend', 'onnxruntime', '--checkpoint', 'MISSING'],
     'missing.onnx: no such ONNX model'),
    (['--backend', 'onnxruntime', '--checkpoint', 'FAKE'],
     'onnxruntime cannot load it'),
])
def test_bad_backend_arguments_exit_2_untouched(extra, message, inputs,
                                                tmp_path, tiny_onnx,
                                                tiny_checkpoint, capsys):
    fake = tmp_path / 'fake.onnx'
    fake.write_bytes(b'not a model')
    paths = dict(CKPT=tiny_checkpoint, ONNX=tiny_onnx,
                 MISSING=str(tmp_path / 'missing.onnx'), FAKE=str(fake))
    extra = [paths.get(a, a) for a in extra]
    before = {p: open(inputs / p, 'rb').read() for p in os.listdir(inputs)}
    out = tmp_path / 'out'
    assert deblur_tool.main([str(inputs), '--out', str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and 'Traceback' not in err
    assert {p: open(inputs / p, 'rb').read()
            for p in os.listdir(inputs)} == before
    # No output under a final name.
    assert not osp.exists(out) or not [
        p for p in os.listdir(out) if p.endswith('.png')]


def test_frames_as_a_video_through_onnxruntime(tmp_path, tiny_onnx,
                                               tiny_checkpoint):
    frames = tmp_path / 'shot'
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f'{i}.png'), texture(20 + i))
    common = [str(frames), '--as-video', '--frames-out', '--fps', '25',
              '--batch-size', '2']
    assert deblur_tool.main(common + ['--out', str(tmp_path / 'onnx'),
                                      '--backend', 'onnxruntime',
                                      '--checkpoint', tiny_onnx]) == 0
    assert deblur_tool.main(common + ['--out', str(tmp_path / 'torch'),
                                      '--config', TINY_CONFIG,
                                      '--checkpoint', tiny_checkpoint]) == 0
    names = sorted(os.listdir(tmp_path / 'torch' / 'shot'))
    assert len(names) == 3
    assert sorted(os.listdir(tmp_path / 'onnx' / 'shot')) == names
    for name in names:
        got = cv2.imread(str(tmp_path / 'onnx' / 'shot' / name))
        want = cv2.imread(str(tmp_path / 'torch' / 'shot' / name))
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def test_missing_onnxruntime_names_the_install(monkeypatch, inputs,
                                               tmp_path, tiny_onnx, capsys):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    assert deblur_tool.main([str(inputs), '--out', str(tmp_path / 'out'),
                             '--backend', 'onnxruntime', '--checkpoint',
                             tiny_onnx]) == 2
    err = capsys.readouterr().err
    assert 'pip install -e .[onnx]' in err and 'pip install onnxruntime' in err
