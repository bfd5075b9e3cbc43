"""walk_files / open_regular: loops, duplicates and special files."""
import os
import threading

import pytest

from deblurkit.fileio import open_regular, scan_images, walk_files


def test_symlink_loop_is_entered_once(tmp_path):
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'a.png').write_bytes(b'a')
    (tmp_path / 'sub' / 'b.png').write_bytes(b'b')
    os.symlink('..', tmp_path / 'sub' / 'up')
    walk = walk_files(str(tmp_path))
    assert [os.path.relpath(f, tmp_path) for f in walk.files] == [
        'a.png', os.path.join('sub', 'b.png')
    ]
    assert len(walk.skipped) == 1
    path, reason = walk.skipped[0]
    assert path.endswith(os.path.join('sub', 'up')) and 'loop' in reason


def test_second_names_are_read_once(tmp_path):
    (tmp_path / 'a.png').write_bytes(b'a')
    os.symlink('a.png', tmp_path / 'b.png')
    os.mkdir(tmp_path / 'real')
    os.symlink('real', tmp_path / 'twin')
    (tmp_path / 'real' / 'c.png').write_bytes(b'c')
    walk = walk_files(str(tmp_path))
    assert [os.path.basename(f) for f in walk.files] == ['a.png', 'c.png']
    reasons = dict(walk.skipped)
    assert 'same file' in reasons[str(tmp_path / 'b.png')]
    assert 'same folder' in reasons[str(tmp_path / 'twin')]


def test_special_files_are_rejected_without_opening(tmp_path):
    os.mkfifo(tmp_path / 'fifo.png')
    os.symlink('/dev/zero', tmp_path / 'zero.png')
    os.symlink('missing.png', tmp_path / 'dangling.png')
    (tmp_path / 'ok.png').write_bytes(b'x')
    result = {}
    thread = threading.Thread(
        target=lambda: result.update(walk=walk_files(str(tmp_path))),
        daemon=True)
    thread.start()
    thread.join(10)
    assert 'walk' in result, 'walk_files blocked'
    walk = result['walk']
    assert [os.path.basename(f) for f in walk.files] == ['ok.png']
    reasons = {os.path.basename(p): r for p, r in walk.rejected}
    assert 'FIFO' in reasons['fifo.png']
    assert 'character device' in reasons['zero.png']
    assert 'dangling' in reasons['dangling.png']
    for name in ('fifo.png', 'zero.png'):
        with pytest.raises(OSError, match='not a regular file'):
            open_regular(str(tmp_path / name))


def test_scan_images_warns_and_lists_relative_paths(tmp_path):
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'b.png').write_bytes(b'b')
    (tmp_path / 'notes.txt').write_text('x')
    os.mkfifo(tmp_path / 'fifo.png')
    os.symlink('..', tmp_path / 'sub' / 'up')
    with pytest.warns(UserWarning, match='fifo.png'):
        assert scan_images(str(tmp_path)) == ['sub/b.png']
