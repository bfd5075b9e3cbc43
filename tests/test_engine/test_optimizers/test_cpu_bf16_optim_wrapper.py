"""CPUBF16OptimWrapper and enable_mixed_precision."""
import copy

import pytest
import torch
import torch.nn as nn

from deblurkit.engine.optimizers import (CPUBF16OptimWrapper,
                                         cpu_amp_optim_wrapper,
                                         enable_mixed_precision)


def test_forward_runs_in_bf16_and_weights_stay_float32():
    conv = nn.Conv2d(3, 4, 3)
    wrapper = CPUBF16OptimWrapper(
        allow_emulated=True, optimizer=torch.optim.SGD(conv.parameters(),
                                                       lr=0.1))
    with wrapper.optim_context(conv):
        out = conv(torch.rand(1, 3, 8, 8))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().mean())
    assert conv.weight.dtype == torch.float32


def test_refused_without_native_bf16(monkeypatch):
    monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_supports_bf16',
                        lambda: False)
    params = [nn.Parameter(torch.zeros(1))]
    with pytest.raises(RuntimeError, match='no native bfloat16'):
        CPUBF16OptimWrapper(optimizer=torch.optim.SGD(params, lr=0.1))
    with pytest.raises(RuntimeError, match='drop --amp'):
        enable_mixed_precision(dict(optimizer=dict(type='SGD')), 'cpu')
    monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_supports_bf16',
                        lambda: True)
    CPUBF16OptimWrapper(optimizer=torch.optim.SGD(params, lr=0.1))


def test_enable_mixed_precision_per_device():
    both = dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam')),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam')))
    cuda = enable_mixed_precision(copy.deepcopy(both), 'cuda')
    assert cuda['generator']['type'] == 'AmpOptimWrapper'
    assert cuda['discriminator']['loss_scale'] == 'dynamic'
    cpu = enable_mixed_precision(copy.deepcopy(both), 'cpu',
                                 allow_emulated=True)
    assert cpu['generator']['type'] == 'CPUBF16OptimWrapper'
    assert cpu['constructor'] == 'MultiOptimWrapperConstructor'
    with pytest.raises(RuntimeError, match='mps'):
        enable_mixed_precision(copy.deepcopy(both), 'mps')
