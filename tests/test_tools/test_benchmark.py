"""tools/analysis_tools/benchmark.py: the measured fields are present, sane."""
import json
import os.path as osp

import pytest
from conftest import needs_bf16_convolutions

from tools.analysis_tools import benchmark

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CONFIG = osp.join(REPO, 'tests', 'data', 'configs',
                       'deblurganv2_tiny.py')


def _run(tmp_path, *extra):
    out = tmp_path / 'bench.json'
    argv = [TINY_CONFIG, '--shape', '64', '64', '--repeat', '2',
            '--warmup', '1', '--out', str(out), *extra]
    assert benchmark.main(argv) == 0
    return json.loads(out.read_text())


def _check_latency(latency, repeat=2):
    assert len(latency['all']) == repeat
    assert 0 < latency['min'] <= latency['median'] <= latency['max']
    assert latency['min'] <= latency['p90'] <= latency['max']


def test_fast_path_with_the_reference_side_by_side(tmp_path, capsys):
    result = _run(tmp_path, '--reference')
    assert result['impl'] == 'fast' and result['backend'] == 'torch'
    assert result['shape'] == [64, 64] and result['batch_size'] == 1
    assert result['device'] == 'cpu' and result['dtype'] == 'float32'
    assert result['channels_last'] is True
    _check_latency(result['latency_s'])
    assert result['fps'] == pytest.approx(1 / result['latency_s']['median'])
    # MACs and parameters of get_flops.py for the tiny generator.
    assert 1e7 < result['macs_per_image'] < 1e9
    assert 1e5 < result['params'] < 1e7
    assert result['peak_memory_mb'] is None or result['peak_memory_mb'] >= 0
    reference = result['reference']
    assert 'train mode' in reference['what']
    _check_latency(reference['latency_s'])
    assert reference['allocator'] == 'default'
    # Per-image statistics of one image: the fast path equals the
    # official-equivalent computation.
    assert reference['max_abs_diff'] < 1e-3
    speedup = result['speedup']
    assert len(speedup['pairs']) == 2
    assert speedup['min'] <= speedup['median_of_pairs'] <= speedup['max']
    assert 'speed-up' in capsys.readouterr().out


def test_eager_path_batch_and_running_statistics(tmp_path):
    result = _run(tmp_path, '--impl', 'eager', '--batch-size', '2',
                  '--norm-stats', 'running')
    assert result['impl'] == 'eager' and result['batch_size'] == 2
    assert result['norm_stats'] == 'running'
    assert result['channels_last'] is False
    assert result['allocator'] == 'default'
    assert 'reference' not in result
    assert result['fps'] == pytest.approx(2 / result['latency_s']['median'])


def test_onnxruntime_backend(tmp_path):
    pytest.importorskip('onnxruntime')
    result = _run(tmp_path, '--backend', 'onnxruntime')
    assert result['impl'] == 'onnxruntime'
    _check_latency(result['latency_s'])


@pytest.mark.parametrize('extra, message', [
    (['--impl', 'official', '--fp16'], 'official'),
    (['--fp16'], '--fp16 needs --device cuda'),
    (['--backend', 'onnxruntime', '--compile'], 'onnxruntime'),
])
def test_contradictory_options_are_refused(extra, message, capsys):
    with pytest.raises(SystemExit) as err:
        benchmark.parse_args([TINY_CONFIG, *extra])
    assert err.value.code == 2
    assert message in capsys.readouterr().err


@needs_bf16_convolutions
@pytest.mark.parametrize('flags', [['--dtype', 'bf16'], ['--bf16']])
def test_bf16_reports_its_psnr_against_fp32(tmp_path, monkeypatch, flags):
    from deblurkit.apis import inference
    monkeypatch.setattr(inference, 'native_bf16', lambda: True)
    result = _run(tmp_path, *flags, '--norm-stats', 'running')
    assert result['dtype'] == 'bfloat16'
    vs = result['vs_fp32']
    assert 0 < vs['max_abs_diff'] < 0.05
    assert 45 < vs['psnr_db'] < 120
    assert 'vs_fp32' not in _run(tmp_path)


def test_bf16_refused_without_native_support(monkeypatch, capsys):
    from deblurkit.apis import inference
    monkeypatch.setattr(inference, 'native_bf16', lambda: False)
    # An AVX-512 CPU without bf16: oneDNN emulates it, on request.
    monkeypatch.setattr(benchmark, 'bf16_convolutions', lambda: True)
    with pytest.raises(SystemExit) as err:
        benchmark.parse_args([TINY_CONFIG, '--dtype', 'bf16'])
    assert err.value.code == 2
    assert 'native bfloat16' in capsys.readouterr().err
    args = benchmark.parse_args(
        [TINY_CONFIG, '--dtype', 'bf16', '--allow-emulated-bf16'])
    assert args.dtype == 'bf16'
    assert benchmark.parse_args([TINY_CONFIG]).dtype == 'fp32'


def test_bf16_refused_where_onednn_cannot_run_it(monkeypatch, capsys):
    # An AVX2-only CPU: oneDNN's bf16 convolutions raise there, emulated or
    # not, so even --allow-emulated-bf16 gets one line and exit status 2.
    monkeypatch.setattr(benchmark, 'bf16_convolutions', lambda: False)
    for extra in ([], ['--allow-emulated-bf16']):
        with pytest.raises(SystemExit) as err:
            benchmark.parse_args([TINY_CONFIG, '--dtype', 'bf16', *extra])
        assert err.value.code == 2
        assert 'cannot run bf16 convolutions at all' in \
            capsys.readouterr().err
    assert benchmark.parse_args([TINY_CONFIG]).dtype == 'fp32'


def test_image_input(tmp_path):
    import cv2
    import numpy as np
    img = np.zeros((30, 40, 3), np.uint8)
    img[:, 20:] = 255
    cv2.imwrite(str(tmp_path / 'half.png'), img)
    x = benchmark.make_input(2, (64, 96), 'cpu', str(tmp_path / 'half.png'))
    assert x.shape == (2, 3, 64, 96)
    assert x[:, :, :, :40].max() == -1 and x[:, :, :, 56:].min() == 1


@needs_bf16_convolutions
def test_bf16_interleaved_with_fp32(tmp_path, monkeypatch, capsys):
    from deblurkit.apis import inference
    monkeypatch.setattr(inference, 'native_bf16', lambda: True)
    result = _run(tmp_path, '--dtype', 'bf16', '--interleave-fp32')
    vs = result['vs_fp32']
    _check_latency(vs['latency_s'])
    ratios = [f / t for f, t in zip(vs['latency_s']['all'],
                                    result['latency_s']['all'])]
    assert vs['speedup']['pairs'] == pytest.approx(ratios)
    assert 'fp32 interleaved' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        benchmark.parse_args([TINY_CONFIG, '--interleave-fp32'])
