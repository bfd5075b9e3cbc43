"""Finding input files without hanging, looping or reading a file twice.

:func:`walk_files` lists a folder recursively. A symlink is followed, but
every real folder is entered once (a loop such as ``sub/up -> ..`` is
reported and not followed again) and every real file is listed once (a
second name for it is reported). Anything that is not a regular file (a
FIFO named ``fifo.png``, a socket, a symlink to ``/dev/zero``, a dangling
symlink) is reported and never opened, so nothing blocks or reads forever.
:func:`open_regular` is the same check for one file, done on the open file
so that it cannot be swapped in between.
"""
import os
import os.path as osp
import stat
from collections import namedtuple

__all__ = ['open_regular', 'not_regular_reason', 'walk_files', 'Walk']

#: What :func:`walk_files` found: ``files`` to read; ``skipped``, ``(path,
#: reason)`` of second names (symlink loops, duplicates) left out because
#: their target is read once anyway; ``rejected``, ``(path, reason)`` of
#: entries that cannot be read (not regular files, unlistable folders).
Walk = namedtuple('Walk', ['files', 'skipped', 'rejected'])


def not_regular_reason(path):
    """None if ``path`` is (a symlink to) a regular file, else why not."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return ('a dangling symlink' if osp.islink(path) else
                'no such file or folder')
    except OSError as e:
        return f'cannot be read ({e.strerror})'
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return 'a folder, not a file'
    kind = ('a FIFO' if stat.S_ISFIFO(mode) else 'a character device'
            if stat.S_ISCHR(mode) else 'a block device' if stat.S_ISBLK(mode)
            else 'a socket' if stat.S_ISSOCK(mode) else 'a special file')
    return f'not a regular file ({kind})'


def open_regular(path):
    """``open(path, 'rb')``, refusing anything but a regular file.

    The file is opened non-blocking (a FIFO would otherwise wait for a
    writer) and checked with ``fstat`` before a byte is read.

    Raises:
        OSError: ``path`` is missing, unreadable or not a regular file.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(f'{path!r} is not a regular file '
                          f'({stat.filemode(mode)[0]} in ls -l); not read')
        if hasattr(os, 'set_blocking'):
            os.set_blocking(fd, True)
        return os.fdopen(fd, 'rb')
    except BaseException:
        os.close(fd)
        raise


def walk_files(folder, skip_dirs=(), keep=None, hidden=False):
    """Regular files below ``folder``, each real file once, sorted.

    Args:
        folder (str): The folder to search.
        skip_dirs (Iterable[str]): Folders (any spelling; compared by real
            path) not to enter, e.g. the run's output folder.
        keep (callable, optional): ``keep(name) -> bool`` selects files by
            name (e.g. by extension) before they are examined.
        hidden (bool): Also list entries whose name starts with ``.``.

    Returns:
        tuple[list[str], list[tuple[str, str]]]: The files (paths starting
        with ``folder``, in sorted walk order: hidden entries left out),
        and ``(path, reason)`` for every entry skipped: symlink loops,
        second names of a file or folder, anything not a regular file.
    """
    skip = {osp.realpath(d) for d in skip_dirs}
    seen_dirs, seen_files = {}, {}
    files, skipped, rejected = [], [], []

    def visit(path):
        real = osp.realpath(path)
        if real in skip:
            return
        if real in seen_dirs:
            what = ('a symlink loop back to' if _inside(seen_dirs[real], path)
                    else 'the same folder as')
            skipped.append((path, f'{what} {seen_dirs[real]}; not entered '
                            'again'))
            return
        seen_dirs[real] = path
        try:
            names = sorted(os.listdir(path))
        except OSError as e:
            rejected.append((path, f'cannot be listed ({e.strerror})'))
            return
        for name in names:
            if name.startswith('.') and not hidden:
                continue
            child = osp.join(path, name)
            if osp.isdir(child):
                visit(child)
                continue
            if keep is not None and not keep(name):
                continue
            reason = not_regular_reason(child)
            if reason is not None:
                rejected.append((child, reason))
                continue
            key = osp.realpath(child)
            if key in seen_files:
                skipped.append((child, f'the same file as {seen_files[key]}'
                                '; read once'))
                continue
            seen_files[key] = child
            files.append(child)

    visit(folder)
    return Walk(files, skipped, rejected)


def _inside(folder, path):
    """Whether ``path`` is below ``folder`` as spelled (not resolved)."""
    folder = osp.normpath(folder)
    return osp.normpath(path).startswith(folder.rstrip(os.sep) + os.sep)
