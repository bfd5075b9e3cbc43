"""Keep freed CPU memory in the process (glibc malloc), a process-wide switch.

glibc serves every allocation above ``M_MMAP_THRESHOLD`` (dynamic, at most
32 MiB) with a fresh ``mmap`` and returns it with ``munmap`` when freed, so
each large activation of a 720p forward (90 MiB for one 96-channel map at
stride 2) starts on pages the kernel must fault in and zero again, on every
call. On this project's 2-core virtual machines that page-fault work is the
largest cost of a CPU forward: the same official-equivalent forward of
FPN-MobileNet at 736x1280 took several times longer with the default
allocator than with freed memory kept (docs/benchmarks.md has the figures).

:func:`tune_cpu_allocator` raises the mmap and trim thresholds, so large
blocks come from the heap and stay there after ``free``: after the first
call, a forward reuses memory that is already mapped. The cost is that the
process keeps its peak heap (about one forward's working set) instead of
returning it to the system between calls. This changes the whole process,
not one module, and cannot be undone exactly (glibc has no call that
restores its dynamic thresholds), so it is opt-in: ``deblurkit.apis`` and
the tools call it for CPU inference unless ``DEBLURKIT_TUNE_MALLOC=0``.
"""
import ctypes
import ctypes.util
import os
import sys

# mallopt parameters (malloc.h); mallopt takes a C int value.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = (1 << 31) - 1
ENV_SWITCH = 'DEBLURKIT_TUNE_MALLOC'

_state = {'tuned': False}


def _libc():
    if not sys.platform.startswith('linux'):
        return None
    name = ctypes.util.find_library('c') or 'libc.so.6'
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, 'mallopt') else None
    except OSError:
        return None


def allocator_tuned():
    """Whether :func:`tune_cpu_allocator` has changed this process."""
    return _state['tuned']


def tune_cpu_allocator(force=False):
    """Keep freed heap memory mapped (glibc), once per process.

    Does nothing off Linux/glibc, or when the environment variable
    ``DEBLURKIT_TUNE_MALLOC`` is ``0`` (unless ``force``).

    Args:
        force (bool): Tune even if the environment variable says not to.

    Returns:
        bool: Whether the allocator is tuned now.
    """
    if _state['tuned']:
        return True
    if not force and os.environ.get(ENV_SWITCH, '1').strip() in ('0', 'false',
                                                                 'no'):
        return False
    libc = _libc()
    if libc is None:
        return False
    # glibc refuses thresholds above half its maximum heap size, which
    # depends on the version and build: try the largest first.
    for threshold in (1 << 30, 512 << 20, 32 << 20):
        if libc.mallopt(_M_MMAP_THRESHOLD, threshold) == 1:
            break
    else:
        return False
    if libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1:
        return False
    _state['tuned'] = True
    return True
