"""tools/analysis_tools/benchmark_train.py on tiny inputs."""
import json
import math

import pytest

from deblurkit.engine.optimizers import cpu_amp_optim_wrapper
from tools.analysis_tools import benchmark_train

CONFIG = 'tests/data/configs/deblurganv2_tiny_train.py'
TINY = ['--shape', '64', '64', '--frame-shape', '72', '96', '--pairs', '2',
        '--iters', '2', '--warmup', '1', '--threads', '1']
LOSSES = {'loss_d', 'loss_g_adv', 'loss_content', 'loss_g'}


def check_timings(res, iters, batch_size=1):
    for key in ('iteration_s', 'data_s', 'step_s'):
        stats = res[key]
        assert len(stats['all']) == iters
        assert all(t >= 0 for t in stats['all'])
        assert stats['p90'] >= stats['median'] > 0 or key == 'data_s'
        assert stats['min'] <= stats['median'] <= stats['max']
    for total, data, step in zip(res['iteration_s']['all'],
                                 res['data_s']['all'],
                                 res['step_s']['all']):
        assert total == pytest.approx(data + step)
    assert res['samples_per_s'] == pytest.approx(
        batch_size / res['iteration_s']['median'])
    assert len(res['losses']) == iters
    for losses in res['losses']:
        assert set(losses) == LOSSES
        assert all(math.isfinite(v) for v in losses.values())


def test_json_with_reference(tmp_path, repo_root, capsys):
    out = tmp_path / 'bench.json'
    assert benchmark_train.main(
        [CONFIG, *TINY, '--reference', '--json', str(out)]) == 0
    res = json.loads(out.read_text())
    assert res['shape'] == [64, 64] and res['batch_size'] == 1
    assert res['iters'] == 2 and res['threads'] == 1
    assert res['amp'] is None and res['num_workers'] == 0
    assert res['worker_niceness'] is None  # no workers
    assert res['first_iteration_s'] > 0
    check_timings(res, 2)
    assert res['peak_memory_mb'] is None or res['peak_memory_mb'] >= 0
    ref = res['reference']
    check_timings(ref, 2)
    # One reference iteration beside each measured one.
    pairs = res['speedup']['pairs']
    assert pairs == pytest.approx([
        r / t for r, t in zip(ref['iteration_s']['all'],
                              res['iteration_s']['all'])
    ])
    # The reference starts from the same weights: its first discriminator
    # loss (random batches of the same images) is of the same size.
    assert ref['losses'][0]['loss_d'] == pytest.approx(
        res['losses'][0]['loss_d'], rel=0.5)
    text = capsys.readouterr().out
    assert 'official-equivalent reference' in text and 'speed-up' in text
    assert 'whole generator trained (after warm-up)' in text


@pytest.mark.parametrize('niceness, expected', [(None, 19), ('0', 0),
                                                ('5', 5)])
def test_loader_workers_niceness(tmp_path, repo_root, niceness, expected):
    # As tools/train.py's runner builds the loader: workers at niceness 19
    # unless told otherwise (deblurkit.engine.runner).
    out = tmp_path / 'bench.json'
    extra = [] if niceness is None else ['--worker-niceness', niceness]
    assert benchmark_train.main([CONFIG, *TINY, '--num-workers', '1', *extra,
                                 '--json', str(out)]) == 0
    res = json.loads(out.read_text())
    assert res['num_workers'] == 1
    assert res['worker_niceness'] == expected


@pytest.mark.parametrize('argv, message', [
    (['--shape', '30', '30'], '--shape'),
    (['--iters', '0'], '--iters'),
    (['--shape', '256', '256', '--frame-shape', '100', '100'],
     '--frame-shape'),
    (['--worker-niceness', '20'], '--worker-niceness'),
])
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark_train.parse_args([CONFIG, *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and '\n' not in err


def test_missing_config_exit_2(tmp_path, capsys):
    assert benchmark_train.main([str(tmp_path / 'nope.py'), *TINY]) == 2
    assert 'does not exist' in capsys.readouterr().err


def test_amp_on_a_cpu_without_bf16_is_refused(monkeypatch, repo_root,
                                              capsys):
    monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_supports_bf16',
                        lambda: False)
    assert benchmark_train.main([CONFIG, *TINY, '--amp']) == 2
    err = capsys.readouterr().err
    assert 'bfloat16' in err and '--amp' in err


def test_amp_bf16_emulated_runs(tmp_path, repo_root):
    out = tmp_path / 'bf16.json'
    assert benchmark_train.main([
        CONFIG, *TINY, '--iters', '1', '--warmup', '0', '--amp',
        '--allow-emulated-bf16', '--json', str(out)
    ]) == 0
    res = json.loads(out.read_text())
    assert res['amp'] == 'bfloat16 autocast'
    # Without warm-up the first iteration is the timed one.
    assert res['first_iteration_s'] == res['iteration_s']['all'][0]
    check_timings(res, 1)


def _naive_ssim(a, b, win=7):
    """scikit-image's SSIM for 8-bit images, window by window."""
    import numpy as np
    pad = win // 2
    c1, c2 = (0.01 * 255)**2, (0.03 * 255)**2
    out = []
    for ch in range(a.shape[2]):
        x = np.pad(a[..., ch].astype(np.float64), pad, mode='symmetric')
        y = np.pad(b[..., ch].astype(np.float64), pad, mode='symmetric')
        h, w = a.shape[:2]
        s = np.zeros((h, w))
        for i in range(h):
            for j in range(w):
                px, py = x[i:i + win, j:j + win], y[i:i + win, j:j + win]
                ux, uy = px.mean(), py.mean()
                vx, vy = px.var(ddof=1), py.var(ddof=1)
                vxy = ((px - ux) * (py - uy)).sum() / (win * win - 1)
                s[i, j] = ((2 * ux * uy + c1) * (2 * vxy + c2)) / (
                    (ux**2 + uy**2 + c1) * (vx + vy + c2))
        out.append(s[pad:-pad, pad:-pad].mean())
    return float(np.mean(out))


def test_reference_metrics_are_the_official_ones():
    """The reference's per-iteration PSNR/SSIM compute what the official
    trainer's util.metrics.PSNR and skimage SSIM compute."""
    import numpy as np
    import torch
    from tools.analysis_tools.official_train_reference import (
        official_psnr, official_ssim, tensor2im)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (20, 23, 3)).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 40, a.shape), 0,
                255).astype(np.uint8)
    assert official_ssim(a, b) == pytest.approx(_naive_ssim(a, b), abs=1e-9)
    assert official_ssim(a, a) == pytest.approx(1.0)
    mse = np.mean(((a.astype(float) - b) / 255)**2)
    assert official_psnr(a, b) == pytest.approx(-10 * math.log10(mse))
    assert official_psnr(a, a) == 100
    # [-1, 1] CHW -> 8-bit HWC of the first image, truncated.
    t = torch.tensor([[[[-1.0, 0.999]], [[0.0, 1.0]], [[0.5, -0.5]]]])
    assert tensor2im(t).tolist() == [[[0, 127, 191], [254, 255, 63]]]


def test_reference_mirrors_the_warmup_phase(tmp_path, repo_root,
                                            monkeypatch, capsys):
    # With the model's warm-up ending inside the run, the reference keeps
    # the official encoder frozen (no gradient, not in Adam) for as many
    # iterations, then trains the whole generator with a fresh Adam.
    from mmengine.logging import MessageHub

    # A message hub of its own: one left current by an earlier test's
    # Runner would lend the model its 'iter' (in its own process the
    # benchmark's model counts its own iterations).
    MessageHub.get_instance('test-benchmark-train-warmup-mirror')
    made, frozen_after_step = [], []

    class InProcess:

        def __init__(self, factory, spec):
            self.obj = factory(spec)
            made.append(self.obj)

        def call(self, name, *args):
            result = getattr(self.obj, name)(*args)
            if name == 'step':
                backbone = list(self.obj.netG.backbone.parameters())
                adam = {id(p) for group in self.obj.optimizer_G.param_groups
                        for p in group['params']}
                frozen = not any(p.requires_grad for p in backbone)
                assert frozen == all(p.grad is None for p in backbone)
                assert frozen == (id(backbone[0]) not in adam)
                frozen_after_step.append(frozen)
            return result

        def close(self):
            pass

    monkeypatch.setattr(benchmark_train, 'SubprocessWorker', InProcess)
    out = tmp_path / 'bench.json'
    assert benchmark_train.main([
        CONFIG, *TINY, '--reference', '--json', str(out), '--cfg-options',
        'model.warmup_iters=2'
    ]) == 0
    assert len(made) == 1
    assert frozen_after_step == [True, True, False]
    assert json.loads(out.read_text())['backbone_frozen_iters'] == 2
    assert 'backbone frozen (warm-up) in the first 2 of 3' in \
        capsys.readouterr().out
