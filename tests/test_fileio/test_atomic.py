"""atomic_write / atomic_output: umask permissions, failed writes."""
import errno
import os
import stat

import pytest

from deblurkit.engine import atomic_write as engine_atomic_write
from deblurkit.fileio import atomic_output, atomic_write


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield lambda m: os.umask(m)
    os.umask(previous)


def test_engine_name_is_the_same_function():
    assert engine_atomic_write is atomic_write


@pytest.mark.parametrize('mask, expected', [(0o022, 0o644), (0o077, 0o600),
                                            (0o002, 0o664)])
def test_files_get_the_umask_mode(tmp_path, umask, mask, expected):
    umask(mask)
    atomic_write(tmp_path / 'a.bin', b'abc')
    atomic_write(tmp_path / 'b.txt', 'héllo', 'w')
    with atomic_output(tmp_path / 'c.mp4') as tmp:
        assert tmp.endswith('.mp4') and os.path.basename(tmp).startswith('.')
        with open(tmp, 'wb') as f:
            f.write(b'video')
    assert (tmp_path / 'b.txt').read_text(encoding='utf-8') == 'héllo'
    assert (tmp_path / 'c.mp4').read_bytes() == b'video'
    for name in ('a.bin', 'b.txt', 'c.mp4'):
        assert mode(tmp_path / name) == expected, name
    assert sorted(os.listdir(tmp_path)) == ['a.bin', 'b.txt', 'c.mp4']


def no_space(fd, data):
    raise OSError(errno.ENOSPC, 'No space left on device')


def test_disk_full_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / 'a.png'
    atomic_write(path, b'old complete file')
    monkeypatch.setattr(os, 'write', no_space)
    with pytest.raises(OSError) as info:
        atomic_write(path, b'new file' * 1000)
    assert info.value.errno == errno.ENOSPC
    assert path.read_bytes() == b'old complete file'
    assert os.listdir(tmp_path) == ['a.png']  # no temporary left


def test_short_writes_are_completed_and_zero_writes_fail(tmp_path,
                                                         monkeypatch):
    real_write = os.write
    monkeypatch.setattr(os, 'write', lambda fd, d: real_write(fd, d[:3]))
    atomic_write(tmp_path / 'a', b'0123456789')
    assert (tmp_path / 'a').read_bytes() == b'0123456789'
    monkeypatch.setattr(os, 'write', lambda fd, d: 0)
    with pytest.raises(OSError, match='full'):
        atomic_write(tmp_path / 'a', b'new')
    assert (tmp_path / 'a').read_bytes() == b'0123456789'


def test_atomic_output_discards_on_error(tmp_path):
    (tmp_path / 'v.avi').write_bytes(b'previous')
    with pytest.raises(RuntimeError):
        with atomic_output(tmp_path / 'v.avi') as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'half')
            raise RuntimeError('encoder failed')
    assert (tmp_path / 'v.avi').read_bytes() == b'previous'
    assert os.listdir(tmp_path) == ['v.avi']
