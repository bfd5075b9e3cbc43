"""tools/train.py and tools/test.py read checkpoints through one reader."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from conftest import (REPO, UNUSABLE_CHECKPOINTS, as_cli, short_run_options,
                      write_unusable_checkpoint)
from mmengine.hooks import Hook
from test_dist_train import free_port

from deblurkit.engine import build_runner, safe_torch_load
from deblurkit.engine.runner_config import load_runner_config
from tools import test as test_tool
from tools import train as train_tool

CONFIG = 'configs/deblurganv2_mobilenet_gopro.py'


class FirstIteration(Hook):
    """Records the iteration training starts at and the generator's output
    on ``probe`` just before the first update."""

    def __init__(self, probe):
        self.probe = probe
        self.start_iter = None
        self.output = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.start_iter is None:
            self.start_iter = runner.iter
            model = getattr(runner.model, 'module', runner.model)
            with torch.no_grad():
                self.output = model.generator(self.probe)


def train(options, work_dir, probe, resume=False):
    cfg = load_runner_config(CONFIG, options, str(work_dir))
    cfg.resume = resume
    runner = build_runner(cfg)
    hook = FirstIteration(probe)
    runner.register_hook(hook)
    runner.train()
    return hook


def test_finetune_from_official_h5_then_resume_after_a_kill(
        tmp_path, tiny_gopro, official_mobilenet_h5, mobilenet_fixture,
        repo_root):
    work_dir = tmp_path / 'work'
    options = short_run_options(
        tiny_gopro, **{
            'load_from': official_mobilenet_h5,
            'train_cfg.max_iters': 1,
            'train_cfg.val_interval': 100,
            'default_hooks.checkpoint.interval': 1,
            'model.warmup_iters': 0,
        })
    probe = mobilenet_fixture['input']
    first = train(options, work_dir, probe)
    # The first iteration runs the released generator.
    assert first.start_iter == 0
    diff = (first.output - mobilenet_fixture['output_train_mode']).abs()
    assert diff.max() < 1e-4
    assert osp.isfile(work_dir / 'iter_1.pth')

    # A later save was killed: last_checkpoint names a file that is not
    # there and a temporary file is left. --resume takes iter_1.pth.
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_2.pth'))
    (work_dir / '.iter_2.pth.x7k2q.tmp').write_bytes(b'PK\x03\x04')
    options.update({'train_cfg.max_iters': 2, 'load_from': None})
    resumed = train(options, work_dir, probe, resume=True)
    assert resumed.start_iter == 1
    assert not osp.exists(work_dir / '.iter_2.pth.x7k2q.tmp')
    assert safe_torch_load(work_dir / 'iter_2.pth')['meta']['iter'] == 2
    with open(work_dir / 'last_checkpoint') as f:
        assert f.read() == str(work_dir / 'iter_2.pth')


@pytest.mark.parametrize('how', ['load_from', 'resume'])
def test_train_refuses_checkpoints_it_cannot_use(how, tmp_path, tiny_gopro,
                                                 official_mobilenet_h5,
                                                 repo_root, capsys):
    other = tmp_path / 'other_generator.pth'
    torch.save({'state_dict': {'generator.conv.weight': torch.zeros(1)}},
               other)
    options = short_run_options(tiny_gopro)
    args = [CONFIG, '--work-dir', str(tmp_path / 'work')]
    if how == 'load_from':
        options['load_from'] = str(other)
        expected = ['other_generator.pth', '1 unexpected keys',
                    'missing keys']
    else:
        args += ['--resume', official_mobilenet_h5]
        expected = ['fpn_mobilenet.h5', 'holds no training state',
                    'load_from=']
    assert train_tool.main(args + as_cli(options)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ')
    assert all(text in err[0] for text in expected), err[0]
    assert not osp.exists(tmp_path / 'work' / 'iter_2.pth')


@pytest.mark.parametrize('kind, reason', [
    *UNUSABLE_CHECKPOINTS.items(),
    ('nan', '1 of 310 generator tensors hold NaN'),
])
def test_test_tool_names_unusable_checkpoints(kind, reason, tmp_path,
                                              tiny_gopro,
                                              official_mobilenet_state,
                                              repo_root, capsys):
    path = tmp_path / 'bad.pth'
    if kind == 'nan':  # a diverged training: NaN in the generator
        state = {k: v.clone() for k, v in official_mobilenet_state.items()}
        state['module.fpn.features.0.0.weight'].view(-1)[0] = float('nan')
        torch.save({'model': state}, path)
        ckpt = str(path)
    else:
        ckpt = write_unusable_checkpoint(path, kind)
    status = test_tool.main(
        [CONFIG, ckpt, '--work-dir', str(tmp_path / 'w')] +
        as_cli({'test_dataloader.dataset.data_root': tiny_gopro['test']}))
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ')
    assert 'bad.pth' in err[0] and reason in err[0], err[0]
    if kind == 'nan':
        assert 'backbone.features.0.0.weight' in err[0]


def test_dist_test_two_processes_equal_one(tmp_path, tiny_gopro,
                                           official_mobilenet_h5, repo_root):
    data = {'test_dataloader.dataset.data_root': tiny_gopro['test']}
    single = tmp_path / 'single.json'
    assert test_tool.main([
        CONFIG, official_mobilenet_h5, '--work-dir',
        str(tmp_path / 'w1'), '--out', str(single)
    ] + as_cli(data)) == 0
    env = dict(os.environ, PORT=str(free_port()), OMP_NUM_THREADS='1',
               PYTHON=sys.executable)
    env.pop('PYTHONPATH', None)
    double = tmp_path / 'double.json'
    cmd = [
        'bash', osp.join(REPO, 'tools', 'dist_test.sh'),
        osp.join(REPO, CONFIG), official_mobilenet_h5, '2',
        '--work-dir', str(tmp_path / 'w2'), '--out', str(double)
    ] + as_cli(dict(data, **{'env_cfg.dist_cfg.backend': 'gloo'}))
    # Not from the checkout: mmengine gathers the ranks' results through a
    # `.dist_test` folder in the working directory.
    result = subprocess.run(
        cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    one, two = (json.loads(p.read_text()) for p in (single, double))
    assert set(one['metrics']) == {'PSNR', 'SSIM'}
    # Equal up to float rounding (the processes run 1 thread, this one
    # more, so convolutions sum in another order): 1e-4 dB / 1e-4 SSIM.
    for name, value in one['metrics'].items():
        assert abs(two['metrics'][name] - value) < 1e-4, name
    assert one['per_image'].keys() == two['per_image'].keys()
    assert len(one['per_image']) == 2  # one image on each rank
    for key, scores in one['per_image'].items():
        for name, value in scores.items():
            assert abs(two['per_image'][key][name] - value) < 1e-4
    # The blurred inputs' scores are gathered from both ranks too (and do
    # not depend on the model: equal exactly).
    assert two['input_metrics'] == one['input_metrics']
    assert two['input_per_image'] == one['input_per_image']
    assert len(one['input_per_image']) == 2
