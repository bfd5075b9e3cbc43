"""tools/deployment/export_onnx.py: faithful norms, parity, dynamic shapes."""
import os
import os.path as osp

import pytest
import torch

from deblurkit.apis import init_model
from tools.deployment import export_onnx as tool

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CONFIG = osp.join(REPO, 'tests', 'data', 'configs',
                       'deblurganv2_tiny.py')
MOBILENET_CONFIG = osp.join(REPO, 'configs',
                            'deblurganv2_mobilenet_gopro.py')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A deblurkit checkpoint of the tiny config."""
    torch.manual_seed(0)
    model = init_model(TINY_CONFIG)
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    state = model.generator.state_dict()
    torch.save({'state_dict': {f'generator.{k}': v
                               for k, v in state.items()}}, path)
    return path


def _run_onnx(path, x):
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    return torch.from_numpy(session.run(None, {'input': x.numpy()})[0])


def _torch(checkpoint, x, norm_stats='per_image'):
    generator = init_model(TINY_CONFIG, checkpoint).generator
    generator.norm_stats = norm_stats
    with torch.inference_mode():
        return generator(x)


def test_dynamic_export_matches_torch_at_other_sizes(tmp_path, checkpoint,
                                                     capsys):
    out = str(tmp_path / 'tiny.onnx')
    assert tool.main([TINY_CONFIG, checkpoint, out, '--shape', '128', '128',
                      '--dynamic']) == 0
    assert 'ok' in capsys.readouterr().out
    # Only the finished model is left, under its final name.
    assert os.listdir(tmp_path) == ['tiny.onnx']
    types = [node.op_type for node in onnx.load(out).graph.node]
    assert 'InstanceNormalization' in types
    assert 'BatchNormalization' not in types
    rng = torch.Generator().manual_seed(3)
    # Another batch and a size that is not a multiple of 32 (padded inside).
    x = torch.rand(3, 3, 96, 150, generator=rng) * 2 - 1
    got = _run_onnx(out, x)
    assert got.shape == x.shape
    assert (got - _torch(checkpoint, x)).abs().max().item() < 1e-4


def test_static_running_statistics_export(tmp_path, checkpoint):
    out = str(tmp_path / 'running.onnx')
    assert tool.main([TINY_CONFIG, checkpoint, out, '--shape', '64', '96',
                      '--norm-stats', 'running']) == 0
    types = [node.op_type for node in onnx.load(out).graph.node]
    # Running statistics are fixed affine maps: no norm node of any kind.
    assert 'InstanceNormalization' not in types
    assert 'BatchNormalization' not in types
    x = torch.rand(1, 3, 64, 96) * 2 - 1
    got = _run_onnx(out, x)
    expected = _torch(checkpoint, x, 'running')
    assert (got - expected).abs().max().item() < 1e-4


def test_official_h5_checkpoint_is_accepted(tmp_path, official_mobilenet_h5,
                                            mobilenet_fixture):
    out = str(tmp_path / 'fpn_mobilenet.onnx')
    assert tool.main([MOBILENET_CONFIG, official_mobilenet_h5, out,
                      '--shape', '128', '160']) == 0
    x = mobilenet_fixture['input']
    got = _run_onnx(out, x)
    expected = mobilenet_fixture['output_train_mode']
    assert (got - expected).abs().max().item() < 1e-4


def test_bad_checkpoint_is_named(tmp_path, capsys):
    missing = str(tmp_path / 'missing.pth')
    assert tool.main([TINY_CONFIG, missing, str(tmp_path / 'x.onnx')]) == 2
    assert 'missing.pth' in capsys.readouterr().err
    assert not osp.exists(tmp_path / 'x.onnx')
