"""The rule that keeps a run's outputs off its inputs, in one place.

Every tool that writes calls :func:`check_output_path` for each output path
it is given (``--out``, ``--save-images``, a results file) against the paths
the same run reads (images, videos, dataset folders, ``--sharp-dir``), all
resolved through symlinks. An output may not

- coincide with an input,
- lie inside an input folder (``allow_inside=True`` only where the tool
  leaves that output folder out when it scans: ``tools/deblur.py``), nor
- contain an input (``allow_around=True`` only for tools that write file by
  file and check each file with :class:`OutputFolder`, never for one that
  clears the folder).

Inside an output folder, :class:`OutputFolder` keeps the manifest
:data:`MANIFEST_NAME`: every file a deblurkit tool writes there is listed
in it (before the file is renamed into place). A tool replaces an existing
file only if the manifest lists it, and ``--overwrite`` removes only listed
files (plus the ``.NAME.*.tmp`` temporaries of :mod:`.atomic` beside them),
so a user's own files are never replaced or deleted.
"""
import os
import os.path as osp

from .atomic import umask_mode

__all__ = [
    'MANIFEST_NAME', 'OutputPathError', 'check_output_path', 'OutputFolder'
]

MANIFEST_NAME = '.deblurkit-outputs'
_MANIFEST_HEADER = ('# Files deblurkit tools wrote in this folder (one path '
                    'a line); only these are ever replaced or removed.\n')


class OutputPathError(ValueError):
    """An output path that would overwrite, or be mixed with, an input."""


def _inside(path, folder):
    """Whether real path ``path`` is ``folder`` or below it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_path(out, inputs, arg='--out', allow_inside=False,
                      allow_around=False):
    """Raise :class:`OutputPathError` if output ``out`` breaks the rule.

    Args:
        out (str): The output file or folder.
        inputs (Iterable[tuple[str, str]]): ``(path, argument)`` of each
            path the run reads or was given, e.g. ``('data/in',
            'INPUT')``; missing paths are ignored.
        arg (str): How the user gave ``out``, for the message.
        allow_inside (bool): ``out`` may lie inside an input folder (the
            tool does not read it back).
        allow_around (bool): ``out`` may contain inputs (the tool writes
            file by file, never clearing the folder).
    """
    out_real = osp.realpath(out)
    for path, what in inputs:
        if path is None or not osp.lexists(path):
            continue
        real = osp.realpath(path)
        if real == out_real:
            problem = 'is'
        elif not allow_inside and _inside(out_real, real):
            problem = 'lies inside'
        elif not allow_around and _inside(real, out_real):
            problem = 'contains'
        else:
            continue
        raise OutputPathError(
            f'{arg} {out} {problem} {what} {path}'
            f'{f" (both resolve to {real})" if problem == "is" else ""}; '
            'outputs never go on, into or around what the run reads. '
            f'Choose another {arg}.')


class OutputFolder:
    """A folder a run writes files into, and the manifest of what deblurkit
    wrote there (see the module docs).

    Args:
        root (str): The folder (need not exist yet).
        inputs (Iterable[str]): Files the run reads: none may be claimed.
    """

    def __init__(self, root, inputs=()):
        self.root = str(root)
        self.manifest = osp.join(self.root, MANIFEST_NAME)
        self._inputs = {osp.realpath(p) for p in inputs}
        self._owned = set(self._read_manifest())
        self._claimed = {}

    def _key(self, path):
        """``path`` relative to the real root, ``/``-separated."""
        real = osp.join(osp.realpath(osp.dirname(osp.abspath(path))),
                        osp.basename(path))
        rel = osp.relpath(real, osp.realpath(self.root))
        return rel.replace(os.sep, '/')

    def _read_manifest(self):
        try:
            with open(self.manifest, encoding='utf-8') as f:
                return [line.rstrip('\n') for line in f
                        if line.strip() and not line.startswith('#')]
        except FileNotFoundError:
            return []

    def owns(self, path):
        """Whether the manifest lists ``path``."""
        return self._key(path) in self._owned

    def claim(self, path, source=None):
        """Check that writing ``path`` loses nothing, and reserve it.

        Raises:
            OutputPathError: ``path`` is a file the run reads, an existing
                file (or folder) no deblurkit tool wrote, or already
                claimed by another input of this run.
        """
        key = self._key(path)
        if key.startswith('../') or key == '..':
            raise OutputPathError(f'{path} is outside the output folder '
                                  f'{self.root}')
        if osp.realpath(path) in self._inputs:
            raise OutputPathError(f'its output {path} would overwrite an '
                                  'input; choose another --out')
        if key in self._claimed:
            raise OutputPathError(
                f'its output {path} is also the output of '
                f'{self._claimed[key]}; deblur them into separate --out '
                'folders')
        if osp.lexists(path) and (osp.isdir(path) or key not in self._owned):
            raise OutputPathError(
                f'its output {path} already exists and no deblurkit tool '
                f'wrote it (it is not listed in {self.manifest}); it is left '
                'untouched. Choose another output folder, or move that file.')
        self._claimed[key] = source or path
        return path

    def record(self, path):
        """List ``path`` in the manifest (call it just before writing)."""
        key = self._key(path)
        if key in self._owned:
            return
        os.makedirs(self.root, exist_ok=True)
        new = not osp.exists(self.manifest)
        fd = os.open(self.manifest, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                     0o666)
        try:
            # One write per line: appends of a few bytes do not interleave
            # between processes (synthesis workers share the manifest).
            os.write(fd, ((_MANIFEST_HEADER if new else '') + key +
                          '\n').encode('utf-8'))
        finally:
            os.close(fd)
        if new:
            os.chmod(self.manifest, umask_mode())
        self._owned.add(key)

    def remove_owned(self):
        """Delete every listed file, the temporaries beside them and the
        folders this leaves empty; then the manifest itself.

        Returns:
            int: The number of files deleted.
        """
        removed, folders = 0, set()
        for key in sorted(self._owned):
            path = osp.join(self.root, *key.split('/'))
            folders.add(osp.dirname(path))
            if osp.isfile(path) or osp.islink(path):
                os.remove(path)
                removed += 1
        for folder in sorted(folders, key=len, reverse=True):
            if not osp.isdir(folder):
                continue
            for name in os.listdir(folder):
                # .NAME.<random>.tmp[.ext]: a temporary of atomic_write.
                if name.startswith('.') and '.tmp' in name:
                    os.remove(osp.join(folder, name))
                    removed += 1
            _remove_empty_up_to(folder, self.root)
        if osp.exists(self.manifest):
            os.remove(self.manifest)
        self._owned.clear()
        return removed


def _remove_empty_up_to(folder, root):
    root_real = osp.realpath(root)
    while osp.realpath(folder) != root_real and osp.isdir(folder) and not (
            os.listdir(folder)):
        os.rmdir(folder)
        folder = osp.dirname(folder)
