"""tools/analysis_tools/gpu_benchmarks.sh, run with a stand-in for Python
that records each command (no GPU, no model): what it measures, where each
result goes, and that one failing measurement neither stops the others nor
passes unnoticed."""
import os
import stat
import subprocess

from conftest import REPO

SCRIPT = os.path.join(REPO, 'tools', 'analysis_tools', 'gpu_benchmarks.sh')

#: The stand-in: records its arguments, writes the JSON file named after
#: --out or --json, and fails for a benchmark.py call at batch 8 of DSC.
FAKE_PYTHON = '''#!/usr/bin/env bash
echo "$*" >> "$CALLS"
out=
while [ $# -gt 0 ]; do
    case $1 in --out|--json) out=$2 ;; esac
    shift
done
case $out in *infer_mobilenet_dsc_fp16_b8*) exit 1 ;; esac
echo '{}' > "$out"
'''


def test_every_measurement_runs_and_failures_are_counted(tmp_path):
    fake = tmp_path / 'python'
    fake.write_text(FAKE_PYTHON)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / 'calls.txt'
    out = tmp_path / 'results'
    env = dict(os.environ, PYTHON=str(fake), CALLS=str(calls))
    env.pop('DEVICE', None)
    result = subprocess.run(['bash', SCRIPT, str(out)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert '1 failed' in result.stdout
    assert 'infer_mobilenet_dsc_fp16_b8 failed' in result.stdout
    lines = calls.read_text().splitlines()
    assert len(lines) == 10
    names = sorted(p.name for p in out.glob('*.json'))
    assert names == sorted(
        [f'{kind}_{model}_fp16_b{batch}.json'
         for kind in ('infer', 'video')
         for model in ('mobilenet', 'mobilenet_dsc') for batch in (1, 8)
         if (kind, model, batch) != ('infer', 'mobilenet_dsc', 8)] +
        ['train_mobilenet_fp32_b8.json', 'train_mobilenet_amp_b8.json'])
    infer = [c for c in lines if '/benchmark.py' in c]
    video = [c for c in lines if 'video_benchmark.py' in c]
    train = [c for c in lines if 'benchmark_train.py' in c]
    assert (len(infer), len(video), len(train)) == (4, 4, 2)
    for call in infer:
        assert '--device cuda --dtype fp16 --shape 736 1280' in call
        assert '--interleave-fp32' in call
    for call in video:
        assert '--device cuda --dtype fp16 --size 720 1280' in call
    assert all('--device cuda --shape 256 256 --batch-size 8' in c
               for c in train)
    assert ['--amp' in c for c in train] == [False, True]
    assert (out / 'log.txt').exists()
