"""Two gloo processes across the warm-up boundary keep identical replicas,
and the tools load the checkpoint they wrote."""
import glob
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
from conftest import REPO, as_cli, short_run_options

from deblurkit.apis import init_model


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(tmp_path, tiny_gopro, monkeypatch):
    work_dir = tmp_path / 'work'
    env = dict(os.environ)
    env['PORT'] = str(free_port())
    env['PYTHONPATH'] = osp.join(REPO, 'tests', 'data', 'custom')
    env['OMP_NUM_THREADS'] = '1'
    env['PYTHON'] = sys.executable
    options = short_run_options(
        tiny_gopro, **{
            'env_cfg.dist_cfg.backend': 'gloo',
            'train_cfg.val_interval': 100,
        })
    cmd = [
        'bash', osp.join(REPO, 'tools', 'dist_train.sh'),
        osp.join(REPO, 'tests', 'data', 'custom', 'deblurganv2_rank_dump.py'),
        '2', '--work-dir',
        str(work_dir)
    ] + as_cli(options)
    # Not from the checkout: mmengine gathers the ranks' validation results
    # through a `.dist_test` folder in the working directory.
    result = subprocess.run(
        cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    # Every gradient has its parameter's strides (DDP's bucket views).
    assert 'Grad strides do not match' not in result.stderr

    def load(rank, tag):
        return torch.load(work_dir / f'rank{rank}_{tag}.pth')

    for tag in ('init', 'iter2', 'iter4'):
        rank0, rank1 = load(0, tag), load(1, tag)
        assert rank0.keys() == rank1.keys()
        for name in rank0:
            assert torch.equal(rank0[name], rank1[name]), (tag, name)

    init, warm, end = load(0, 'init'), load(0, 'iter2'), load(0, 'iter4')
    backbone = [k for k in init if k.startswith('backbone.')]
    head = [k for k in init if k.startswith('head.')]
    assert backbone and head
    # Frozen during the 2 warm-up iterations, trained after them.
    assert all(torch.equal(init[k], warm[k]) for k in backbone)
    assert all(not torch.equal(warm[k], end[k]) for k in backbone)
    assert all(not torch.equal(init[k], warm[k]) for k in head)

    # The checkpoint of the distributed run loads in every tool.
    from tools import deblur as deblur_tool
    from tools import test as test_tool
    ckpt = str(work_dir / 'iter_4.pth')
    config = 'configs/deblurganv2_mobilenet_gopro.py'
    model = init_model(osp.join(REPO, config), ckpt)
    for name, value in model.generator.named_parameters():
        assert torch.equal(value, end[name]), name
    monkeypatch.chdir(REPO)
    assert test_tool.main([
        config, ckpt, '--work-dir', str(tmp_path / 'test'), '--out',
        str(tmp_path / 'scores.json')
    ] + as_cli({'test_dataloader.dataset.data_root': tiny_gopro['test']
                })) == 0
    blur = sorted(glob.glob(osp.join(tiny_gopro['test'], '*', 'blur',
                                     '*.png')))[0]
    assert deblur_tool.main([
        blur, '--config', config, '--checkpoint', ckpt, '--out',
        str(tmp_path / 'deblurred')
    ]) == 0
    assert (tmp_path / 'scores.json').exists()
    assert os.listdir(tmp_path / 'deblurred')
    # ... and exports: ONNX Runtime agrees with PyTorch on it.
    pytest.importorskip('onnxruntime')
    from tools.deployment import export_onnx
    # 128x128, as the docs' exports: at 64x64 the per-image statistics of
    # the 2x2 maps at stride 32 amplify float rounding (2.6e-4 on an AVX2
    # CPU) beyond the tool's 1e-4 check.
    assert export_onnx.main([config, ckpt, str(tmp_path / 'g.onnx'),
                             '--shape', '128', '128']) == 0
    assert (tmp_path / 'g.onnx').stat().st_size > 0
