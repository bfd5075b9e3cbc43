"""The `deblurkit` command (also `python -m deblurkit`)."""
import os.path as osp
import re
import subprocess
import sys

import pytest

from deblurkit.commands import TOOLS, main
from deblurkit.shipped import shipped_dir


def test_every_tool_script_ships():
    for name, (script, what) in TOOLS.items():
        assert osp.isfile(osp.join(shipped_dir('tools'), script)), name
        assert what


def test_usage_and_unknown_tools(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert all(f'\n  {name} ' in out for name in TOOLS)
    assert main(['--help']) == 0
    assert main(['trian']) == 2
    assert capsys.readouterr().err.strip() == (
        "error: unknown tool 'trian' (did you mean train?); "
        '`deblurkit --help` lists them')
    assert main(['configs']) == 0
    listing = capsys.readouterr().out
    assert '\n  deblurganv2_mobilenet_gopro\n' in listing
    assert 'realblur_j' in listing


def test_a_tool_runs_by_name_from_anywhere(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = list(sys.argv)
    assert main(['flops', 'deblurganv2_mobilenet_gopro', '--shape', '64',
                 '64']) == 0
    out = capsys.readouterr().out
    assert re.search(r'generator parameters: 2\.11 M', out), out
    assert sys.argv == argv  # restored


@pytest.mark.parametrize('tool,args', [
    ('train', []),
    ('test', ['x.pth']),
    ('deblur', ['in.png', '--checkpoint', 'x.pth', '--out', 'out',
                '--config']),
    ('flops', []),
    ('export', ['x.pth', 'x.onnx']),
])
def test_unknown_config_name_is_one_line(tool, args, tmp_path, monkeypatch,
                                         capsys):
    monkeypatch.chdir(tmp_path)
    argv = args + ['deblurganv2_mobilenet_gpro'] if '--config' in args else [
        'deblurganv2_mobilenet_gpro'] + args
    assert main([tool, *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: config 'deblurganv2_mobilenet_gpro' is "
                          'neither a file nor the name of a shipped config '
                          '(close names: deblurganv2_mobilenet_gopro, ')
    assert '\n' not in err
    assert not list(tmp_path.iterdir())  # nothing ran


def test_python_dash_m(tmp_path):
    done = subprocess.run(
        [sys.executable, '-m', 'deblurkit', '--version'], cwd=tmp_path,
        capture_output=True, text=True)
    assert done.returncode == 0
    assert re.fullmatch(r'deblurkit \d+\.\d+\.\d+\S*\n', done.stdout)
