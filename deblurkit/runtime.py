"""deblurkit's process-wide runtime switches, in one place.

Each switch starts from an environment variable, read once when this
module is first imported, and has a getter, a setter and a context
manager::

    from deblurkit import runtime

    runtime.fast_inference_enabled()       # True unless the env says 0
    runtime.set_fast_inference(False)      # from now on
    with runtime.fast_inference(False):    # for a block, then restored
        ...

Switches (environment values ``1/true/yes/on`` and ``0/false/no/off``, any
case; anything else is refused with a warning and the default kept):

``fast_inference`` (``DEBLURKIT_FAST_INFERENCE``, default on)
    ``deblurkit.apis`` runs an ``FPNGenerator`` through its fast inference
    path (same outputs, fused layers, channels-last); off, the generator
    runs as built.

``malloc_tuning`` (``DEBLURKIT_TUNE_MALLOC``, default on)
    Whether :func:`tune_cpu_allocator` may change glibc's allocator. Nothing
    in the library calls it by itself: the command-line tools that run CPU
    inference (``tools/deblur.py``, the analysis tools) call it at their
    start and say so in their help; a program using ``deblurkit.apis``
    decides for its own process.

:func:`tune_cpu_allocator` keeps freed heap memory mapped (glibc
``mallopt``): glibc serves every allocation above its mmap threshold
(dynamic, at most 32 MiB) with a fresh ``mmap`` and unmaps it on ``free``,
so each large activation of a 720p forward starts on pages the kernel must
fault in and zero again, on every call; on small virtual machines that is
the largest cost of a CPU forward (docs/benchmarks.md). Raising the mmap
and trim thresholds keeps those blocks in the heap after the first call.
The cost: the process keeps its peak heap (about one forward's working
set). It changes the whole process and cannot be undone (glibc has no call
that restores its dynamic thresholds), so it is never a side effect of an
inference call.
"""
import contextlib
import ctypes
import ctypes.util
import os
import sys
import warnings

FAST_INFERENCE_ENV = 'DEBLURKIT_FAST_INFERENCE'
TUNE_MALLOC_ENV = 'DEBLURKIT_TUNE_MALLOC'

_TRUE = ('1', 'true', 'yes', 'on')
_FALSE = ('0', 'false', 'no', 'off')


def env_flag(name, default):
    """The boolean the environment variable ``name`` holds (``default`` if
    unset or empty; a warning and ``default`` if it is not a boolean)."""
    value = os.environ.get(name, '').strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    warnings.warn(f'{name}={os.environ[name]!r} is not one of '
                  f'{"/".join(_TRUE)} or {"/".join(_FALSE)}; using the '
                  f'default ({"1" if default else "0"})')
    return default


_switches = {
    'fast_inference': env_flag(FAST_INFERENCE_ENV, True),
    'malloc_tuning': env_flag(TUNE_MALLOC_ENV, True),
}


def _set(name, enabled):
    if not isinstance(enabled, bool):
        raise TypeError(f'{name} must be True or False, got {enabled!r}')
    previous = _switches[name]
    _switches[name] = enabled
    return previous


@contextlib.contextmanager
def _scoped(name, enabled):
    previous = _set(name, enabled)
    try:
        yield
    finally:
        _switches[name] = previous


# ----------------------------------------------------------- fast inference
def fast_inference_enabled():
    """Whether ``deblurkit.apis`` uses the fast inference path."""
    return _switches['fast_inference']


def set_fast_inference(enabled):
    """Switch the fast inference path on or off; returns the old value."""
    return _set('fast_inference', enabled)


def fast_inference(enabled=True):
    """Context manager: the fast path on (or off) inside the block."""
    return _scoped('fast_inference', enabled)


# ----------------------------------------------------------- malloc tuning
def malloc_tuning_enabled():
    """Whether :func:`tune_cpu_allocator` may tune (unless forced)."""
    return _switches['malloc_tuning']


def set_malloc_tuning(enabled):
    """Allow or forbid :func:`tune_cpu_allocator`; returns the old value."""
    return _set('malloc_tuning', enabled)


def malloc_tuning(enabled=True):
    """Context manager: :func:`tune_cpu_allocator` allowed (or not) inside
    the block. Tuning done inside it stays: it cannot be undone."""
    return _scoped('malloc_tuning', enabled)


# mallopt parameters (malloc.h); mallopt takes a C int value.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = (1 << 31) - 1

_allocator = {'tuned': False}


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
    return _allocator['tuned']


def tune_cpu_allocator(force=False):
    """Keep freed heap memory mapped (glibc), once per process, for good.

    Does nothing off Linux/glibc, or when the ``malloc_tuning`` switch is
    off (``DEBLURKIT_TUNE_MALLOC=0``, :func:`set_malloc_tuning`) unless
    ``force``.

    Args:
        force (bool): Tune even if the switch says not to.

    Returns:
        bool: Whether the allocator is tuned now.
    """
    if _allocator['tuned']:
        return True
    if not (force or malloc_tuning_enabled()):
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
    _allocator['tuned'] = True
    return True


__all__ = [
    'FAST_INFERENCE_ENV', 'TUNE_MALLOC_ENV', 'env_flag',
    'fast_inference_enabled', 'set_fast_inference', 'fast_inference',
    'malloc_tuning_enabled', 'set_malloc_tuning', 'malloc_tuning',
    'tune_cpu_allocator', 'allocator_tuned'
]
