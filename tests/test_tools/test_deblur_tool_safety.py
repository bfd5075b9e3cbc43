"""tools/deblur.py: nothing is lost, nothing hangs (issue 17 cases)."""
import errno
import os
import stat
import subprocess
import sys

import cv2
import numpy as np
import pytest
from test_deblur_tool import REPO, TOOL, TINY_CONFIG, checkpoint  # noqa: F401
from test_deblur_tool import deblur_tool, digest, rand, run

from deblurkit.fileio import MANIFEST_NAME


def test_out_holding_originals_is_never_replaced(checkpoint, tmp_path,
                                                  capsys):
    src = tmp_path / 'in3'
    (src / '2024').mkdir(parents=True)
    cv2.imwrite(str(src / 'a.png'), rand((40, 56, 3)))
    cv2.imwrite(str(src / 'b.png'), rand((40, 56, 3), seed=1))
    cv2.imwrite(str(src / '2024' / 'a.png'), rand((40, 56, 3), seed=2))
    original = digest(src / '2024')
    assert run([src], src / '2024', checkpoint[0]) == 1
    report = capsys.readouterr().out
    assert '1 written' in report and '1 failed' in report
    assert 'no deblurkit tool wrote it' in report
    assert digest(src / '2024')['a.png'] == original['a.png']
    assert (src / '2024' / 'b.png').exists()
    assert 'skipped' in report and 'not searched' in report


def test_loop_fifo_and_dev_zero_do_not_hang(checkpoint, tmp_path):
    src = tmp_path / 'in'
    (src / 'sub').mkdir(parents=True)
    cv2.imwrite(str(src / 'sub' / 'a.png'), rand((40, 56, 3)))
    os.symlink('..', src / 'sub' / 'up')
    os.mkfifo(src / 'fifo.png')
    os.symlink('/dev/zero', src / 'zero.png')
    result = subprocess.run(
        [sys.executable, TOOL, str(src), str(src / 'fifo.png'), '--config',
         TINY_CONFIG, '--checkpoint', checkpoint[0], '--out',
         str(tmp_path / 'out')],
        capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 1, result.stderr
    assert '1 written' in result.stdout
    failed = [l for l in result.stdout.splitlines() if 'FAILED' in l]
    assert len(failed) == 3  # fifo.png twice named, zero.png
    assert all('not a regular file' in line for line in failed)
    assert 'loop' in result.stdout
    written = sorted(os.path.relpath(os.path.join(r, f), tmp_path / 'out')
                     for r, _, fs in os.walk(tmp_path / 'out') for f in fs)
    assert written == [MANIFEST_NAME, os.path.join('sub', 'a.png')]


def test_16_bit_or_alpha_input_with_an_8_bit_name_fails_first(
        checkpoint, tmp_path, capsys, monkeypatch):
    # A 16-bit PNG and an RGBA PNG misnamed .jpg: the output (also .jpg)
    # could only be saturated / opaque, so they fail before any work.
    (tmp_path / 'deep.jpg').write_bytes(
        cv2.imencode('.png', rand((40, 56, 3), np.uint16))[1].tobytes())
    (tmp_path / 'rgba.jpg').write_bytes(
        cv2.imencode('.png', rand((40, 56, 4)))[1].tobytes())
    calls = []
    real = deblur_tool.deblur_images
    monkeypatch.setattr(deblur_tool, 'deblur_images',
                        lambda m, imgs, **kw: calls.append(1) or real(
                            m, imgs, **kw))
    assert run([tmp_path / 'deep.jpg', tmp_path / 'rgba.jpg'],
               tmp_path / 'out', checkpoint[0]) == 1
    report = capsys.readouterr().out
    assert '0 written' in report and '2 failed' in report
    assert '8 bits per sample' in report and 'no alpha' in report
    assert calls == []
    assert not (tmp_path / 'out' / 'deep.jpg').exists()


def test_disk_full_fails_that_file_only(checkpoint, tmp_path, capsys,
                                        monkeypatch):
    for name, seed in (('a.png', 0), ('b.png', 1)):
        cv2.imwrite(str(tmp_path / name), rand((40, 56, 3), seed=seed))
    out = tmp_path / 'out'
    assert run([tmp_path / 'a.png', tmp_path / 'b.png'], out,
               checkpoint[0]) == 0
    previous = digest(out)
    real_write = os.write

    def write(fd, data):
        # Writing a.png's temporary fills the disk.
        if '/.a.png.' in os.readlink(f'/proc/self/fd/{fd}'):
            raise OSError(errno.ENOSPC, 'No space left on device')
        return real_write(fd, data)

    monkeypatch.setattr(os, 'write', write)
    cv2.imwrite(str(tmp_path / 'b.png'), rand((40, 56, 3), seed=5))
    assert run([tmp_path / 'a.png', tmp_path / 'b.png'], out,
               checkpoint[0]) == 1
    report = capsys.readouterr().out
    assert '1 written' in report and '1 failed' in report
    assert 'a.png' in report and 'No space left' in report
    now = digest(out)
    assert now['a.png'] == previous['a.png']  # the old output untouched
    assert now['b.png'] != previous['b.png']  # the other one went on
    assert sorted(os.listdir(out)) == [MANIFEST_NAME, 'a.png', 'b.png']


def test_outputs_get_the_umask_mode(checkpoint, tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), rand((40, 56, 3)))
    previous = os.umask(0o027)
    try:
        assert run([tmp_path / 'a.png'], tmp_path / 'out',
                   checkpoint[0]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / 'out' / 'a.png').st_mode) == 0o640


def test_ctrl_c_prints_the_summary_and_exits_130(checkpoint, tmp_path,
                                                 capsys, monkeypatch):
    for name in ('a.png', 'b.png'):
        cv2.imwrite(str(tmp_path / name), rand((40, 56, 3)))
    real = deblur_tool.write_image_file

    def write_then_interrupt(path, img):
        if path.endswith('b.png'):
            raise KeyboardInterrupt
        real(path, img)

    monkeypatch.setattr(deblur_tool, 'write_image_file', write_then_interrupt)
    assert run([tmp_path / 'a.png', tmp_path / 'b.png'], tmp_path / 'out',
               checkpoint[0]) == 130
    report = capsys.readouterr().out
    assert '1 written' in report and 'interrupted' in report
    assert not (tmp_path / 'out' / 'b.png').exists()


def test_pixel_budget_option(checkpoint, tmp_path, capsys):
    cv2.imwrite(str(tmp_path / 'a.png'), rand((40, 56, 3)))
    assert run([tmp_path / 'a.png'], tmp_path / 'out', checkpoint[0],
               '--max-pixels', '1000') == 1
    assert '--max-pixels' in capsys.readouterr().out
    assert run([tmp_path / 'a.png'], tmp_path / 'out', checkpoint[0],
               '--max-pixels', '2240') == 0


@pytest.mark.parametrize('value', ['model.generator', 'a=[1,2'])
def test_malformed_cfg_options_exit_2(checkpoint, tmp_path, capsys, value):
    with pytest.raises(SystemExit) as info:
        run([tmp_path], tmp_path / 'out', checkpoint[0], '--cfg-options',
            value)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert '--cfg-options' in err and value in err
    assert 'Traceback' not in err
