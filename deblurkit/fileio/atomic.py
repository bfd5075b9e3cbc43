"""All-or-nothing file writes with the permissions of the user's umask.

Every file deblurkit's tools write (images, videos, JSON, datasets,
checkpoints, ONNX graphs) goes through :func:`atomic_write` (bytes or text
in memory) or :func:`atomic_output` (a temporary path that a library such as
OpenCV's video writer fills). Either way the data goes to a hidden
temporary name beside the destination, is flushed to disk, gets mode
``0o666 & ~umask`` (``tempfile.mkstemp`` alone would leave 0600) and is then
renamed over the destination with :func:`os.replace`, which is atomic. So a
reader sees the old file or the new one, never half of one; a failed write
(disk full, an encoder error) raises and leaves the old file untouched.
"""
import os
import os.path as osp
import tempfile
from contextlib import contextmanager

__all__ = ['umask_mode', 'atomic_write', 'atomic_output']


def _umask():
    # /proc reports it without changing it; os.umask can only read it by
    # setting it, which another thread could observe.
    try:
        with open('/proc/self/status', encoding='ascii') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def umask_mode():
    """The mode a plain ``open(path, 'w')`` gives a new file:
    ``0o666 & ~umask``."""
    return 0o666 & ~_umask()


def _temporary(filepath, suffix):
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    return tempfile.mkstemp(
        prefix=f'.{osp.basename(filepath)}.', suffix=suffix, dir=folder)


def _write_all(fd, data, filepath):
    """``os.write`` until every byte is out: a short write is retried, a
    write of nothing (a full disk that does not say so) is an error."""
    view = memoryview(data).cast('B')
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(f'cannot write {filepath!r}: the disk accepted no '
                          'more bytes (full?)')
        view = view[written:]


def _publish(fd, tmp, filepath, data=None):
    """Write ``data`` (if any) to ``fd``, flush it, give it the umask's
    mode, close it and rename ``tmp`` to ``filepath``."""
    try:
        if data is not None:
            _write_all(fd, data, filepath)
        os.fsync(fd)
        os.fchmod(fd, umask_mode())
    finally:
        os.close(fd)
    os.replace(tmp, filepath)


def atomic_write(filepath, data, mode='wb', encoding=None):
    """Write ``data`` to ``filepath`` all at once or not at all.

    Args:
        filepath (str): The destination; its folder is created if missing.
        data (bytes | str): The content (``str`` for text modes).
        mode (str): ``'wb'`` or ``'w'`` (text, encoded with ``encoding``,
            UTF-8 by default).
        encoding (str, optional): Text encoding.

    Raises:
        OSError: The data could not be written in full (the destination is
            then as it was, and no temporary file is left).
    """
    filepath = os.fspath(filepath)
    if 'b' not in mode:
        data = data.encode(encoding or 'utf-8')
    fd, tmp = _temporary(filepath, '.tmp')
    try:
        _publish(fd, tmp, filepath, data)
    except BaseException:
        if osp.lexists(tmp):
            os.remove(tmp)
        raise


@contextmanager
def atomic_output(filepath):
    """A temporary path to write ``filepath`` through, published on success.

    The temporary keeps ``filepath``'s extension (writers such as
    ``cv2.VideoWriter`` pick the container from it). When the ``with`` block
    ends without an exception the file is flushed, given the umask's mode
    and renamed to ``filepath``; on an exception it is deleted and
    ``filepath`` is left as it was.

    Example::

        with atomic_output('out/clip.mp4') as tmp:
            writer = cv2.VideoWriter(tmp, ...)
            ...
            writer.release()
    """
    filepath = os.fspath(filepath)
    fd, tmp = _temporary(filepath, '.tmp' + osp.splitext(filepath)[1])
    os.close(fd)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        _publish(fd, tmp, filepath)
    except BaseException:
        if osp.lexists(tmp):
            os.remove(tmp)
        raise
