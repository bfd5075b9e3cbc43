"""GeneratorEMAHook: the average, its scope, checkpoints and validation."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from conftest import as_cli, short_run_options

from deblurkit.engine import GeneratorEMAHook, safe_torch_load
from tools import train as train_tool

EMA_CONFIG = 'configs/deblurganv2_mobilenet_gopro_ema.py'


class TinyGAN(nn.Module):

    def __init__(self):
        super().__init__()
        self.generator = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.discriminator = nn.Conv2d(3, 1, 3)


def fake_runner(model, resume=False):
    return SimpleNamespace(model=model, iter=0, _resume=resume)


def set_weights(module, value):
    with torch.no_grad():
        for i, param in enumerate(module.parameters()):
            param.fill_(value + i)


def generator_params(model):
    return [p.detach().clone() for p in model.generator.parameters()]


def test_average_of_a_known_sequence_over_the_generator_only():
    model = TinyGAN()
    runner = fake_runner(model)
    hook = GeneratorEMAHook(momentum=0.25)
    hook.before_run(runner)
    values = [1.0, 5.0, -3.0, 2.0]
    for it, value in enumerate(values):
        runner.iter = it
        set_weights(model.generator, value)
        set_weights(model.discriminator, 100.0 + value)
        hook.after_train_iter(runner, it)
    # avg_0 = w_0, avg_k = 0.75 avg_{k-1} + 0.25 w_k, per parameter.
    expected = values[0]
    for value in values[1:]:
        expected = 0.75 * expected + 0.25 * value
    for i, averaged in enumerate(hook.ema.module.parameters()):
        torch.testing.assert_close(averaged,
                                   torch.full_like(averaged, expected + i))
    # The raw weights are the last ones, not the average.
    assert all(p.eq(values[-1] + i).all()
               for i, p in enumerate(model.generator.parameters()))
    # Only the generator is averaged.
    assert len(list(hook.ema.module.parameters())) == len(
        list(model.generator.parameters()))


def test_begin_iter_follows_the_weights_until_then():
    model = TinyGAN()
    runner = fake_runner(model)
    hook = GeneratorEMAHook(momentum=0.5, begin_iter=2)
    hook.before_run(runner)
    for it, value in enumerate([1.0, 3.0, 5.0]):
        runner.iter = it
        set_weights(model.generator, value)
        hook.after_train_iter(runner, it)
    first = next(hook.ema.module.parameters())
    # Iterations 0 and 1 copy; iteration 2 averages 3 and 5.
    torch.testing.assert_close(first, torch.full_like(first, 4.0))


def trained_two_iters():
    """A hook (momentum 0.5) after weights 2 then 4: the average is 3."""
    model = TinyGAN()
    runner = fake_runner(model)
    hook = GeneratorEMAHook(momentum=0.5)
    hook.before_run(runner)
    for it, value in enumerate([2.0, 4.0]):
        set_weights(model.generator, value)
        hook.after_train_iter(runner, it)
    return model, runner, hook


def test_validation_uses_the_average_then_restores_the_weights():
    model, runner, hook = trained_two_iters()
    raw = generator_params(model)
    hook.before_val_epoch(runner)
    seen = generator_params(model)
    hook.after_val_epoch(runner)
    assert all(s.eq(3.0 + i).all() for i, s in enumerate(seen))
    for before, after in zip(raw, generator_params(model)):
        assert torch.equal(before, after)


def checkpoint_of(model):
    return dict(
        state_dict={k: v.detach().clone()
                    for k, v in model.state_dict().items()},
        meta=dict(iter=2))


def test_checkpoint_holds_the_average_and_resumes(tmp_path):
    model, runner, hook = trained_two_iters()
    ckpt = checkpoint_of(model)
    hook.before_save_checkpoint(runner, ckpt)
    path = tmp_path / 'ckpt.pth'
    torch.save(ckpt, path)
    loaded = torch.load(path, weights_only=True)
    # Inference weights (generator.*) are the average; raw ones kept apart.
    assert loaded['state_dict']['generator.0.weight'].eq(3.0).all()
    assert loaded['generator_ema']['raw']['0.weight'].eq(4.0).all()
    assert int(loaded['generator_ema']['steps']) == 2
    # The discriminator is saved as it is.
    assert torch.equal(loaded['state_dict']['discriminator.weight'],
                       model.discriminator.weight)

    # Resume: the model gets the raw weights back, the hook the average.
    fresh = TinyGAN()
    runner2 = fake_runner(fresh, resume=True)
    hook2 = GeneratorEMAHook(momentum=0.5)
    hook2.before_run(runner2)
    hook2.after_load_checkpoint(runner2, loaded)
    fresh.load_state_dict(loaded['state_dict'])
    assert fresh.generator[0].weight.eq(4.0).all()
    assert next(hook2.ema.module.parameters()).eq(3.0).all()
    assert int(hook2.ema.steps) == 2
    set_weights(fresh.generator, 6.0)
    hook2.after_train_iter(runner2, 2)
    # 0.5 * 3 + 0.5 * 6: the average continued where it stopped.
    assert next(hook2.ema.module.parameters()).eq(4.5).all()


@pytest.mark.parametrize('kwargs', [
    dict(momentum=0), dict(momentum=1.5), dict(interval=0),
    dict(begin_iter=-1)
])
def test_bad_arguments_are_named(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        GeneratorEMAHook(**kwargs)


def test_train_tool_with_ema_saves_and_resumes(tmp_path, tiny_gopro,
                                               repo_root):
    work_dir = str(tmp_path / 'work')
    options = short_run_options(
        tiny_gopro, **{
            'train_cfg.max_iters': 2,
            'custom_hooks.2.momentum': 0.5
        })
    assert train_tool.main([EMA_CONFIG, '--work-dir', work_dir] +
                           as_cli(options)) == 0
    ckpt = safe_torch_load(osp.join(work_dir, 'iter_2.pth'))
    raw = ckpt['generator_ema']['raw']
    averaged = {
        k[len('generator.'):]: v
        for k, v in ckpt['state_dict'].items() if k.startswith('generator.')
    }
    assert raw.keys() <= averaged.keys()
    assert any(not torch.equal(raw[k], averaged[k]) for k in raw
               if raw[k].is_floating_point())
    options['train_cfg.max_iters'] = 3
    assert train_tool.main([EMA_CONFIG, '--work-dir', work_dir, '--resume'] +
                           as_cli(options)) == 0
    resumed = safe_torch_load(osp.join(work_dir, 'iter_3.pth'))
    assert int(resumed['generator_ema']['steps']) == 3
