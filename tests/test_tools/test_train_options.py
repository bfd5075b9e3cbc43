"""tools/train.py's --amp and --cpu-allocator options."""
import pytest
import torch

from deblurkit.cli import UserError
from deblurkit.engine.optimizers import cpu_amp_optim_wrapper
from tools import train as train_tool

CONFIG = 'configs/deblurganv2_mobilenet_gopro.py'


def test_amp_on_the_cpu_chooses_bf16_or_says_why(monkeypatch, repo_root):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_supports_bf16',
                        lambda: True)
    cfg = train_tool.build_cfg(train_tool.parse_args([CONFIG, '--amp']))
    for player in ('generator', 'discriminator'):
        assert cfg.optim_wrapper[player]['type'] == 'CPUBF16OptimWrapper'
    monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_supports_bf16',
                        lambda: False)
    with pytest.raises(UserError, match='--amp: .*native bfloat16'):
        train_tool.build_cfg(train_tool.parse_args([CONFIG, '--amp']))
    # Through main: one line and the usage exit status.
    assert train_tool.main([CONFIG, '--amp']) == 2


def test_amp_on_a_gpu_is_mmengines_amp(monkeypatch, repo_root):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = train_tool.build_cfg(train_tool.parse_args([CONFIG, '--amp']))
    assert cfg.optim_wrapper.generator['type'] == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.generator['loss_scale'] == 'dynamic'


def test_cpu_allocator_choices(capsys):
    assert train_tool.parse_args([CONFIG]).cpu_allocator == 'tuned'
    assert train_tool.parse_args([CONFIG, '--cpu-allocator',
                                  'default']).cpu_allocator == 'default'
    with pytest.raises(SystemExit):
        train_tool.parse_args([CONFIG, '--cpu-allocator', 'fast'])
