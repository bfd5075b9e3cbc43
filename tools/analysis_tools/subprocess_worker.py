"""An object living in a process of its own, called over a pipe.

Benchmarks time a reference implementation the way its users run it: in a
separate process, with its own allocator state, threads and imports.
:class:`SubprocessWorker` builds the object there (from a module-level
factory, started with multiprocessing's ``spawn`` method, so nothing of the
parent's state is inherited) and forwards method calls to it::

    with SubprocessWorker(build_reference, spec) as ref:
        seconds = ref.call('step')

A call's arguments and result travel pickled; an exception raised in the
worker comes back as a :class:`WorkerError` carrying the worker's
traceback.
"""
import multiprocessing
import traceback


class WorkerError(RuntimeError):
    """The worker failed (its traceback is in the message) or died."""


def _serve(conn, factory, args, kwargs):
    """The worker's loop: build the object, then answer calls until None."""
    try:
        obj = factory(*args, **kwargs)
    except BaseException:  # reported to the parent, which raises
        conn.send(('error', traceback.format_exc()))
        return
    conn.send(('ok', None))
    while True:
        try:
            request = conn.recv()
        except EOFError:  # the parent went away
            return
        if request is None:
            conn.send(('ok', None))
            return
        method, call_args, call_kwargs = request
        try:
            conn.send(('ok', getattr(obj, method)(*call_args,
                                                  **call_kwargs)))
        except BaseException:
            conn.send(('error', traceback.format_exc()))


class SubprocessWorker:
    """Build ``factory(*args, **kwargs)`` in a fresh process; call it there.

    Args:
        factory (callable): A module-level function or class (it is
            pickled by reference, so the worker can import it).
        *args, **kwargs: Its arguments (picklable).
        timeout (float): Seconds to wait for any answer. Default: 3600.

    The process is not a daemon, so the object may start processes of its
    own (a DataLoader's workers); :meth:`close` (or leaving the ``with``
    block) ends it, and it ends by itself when the pipe to its parent
    closes.

    Raises:
        WorkerError: If building the object fails, or (from :meth:`call`)
            if a method raises or the worker dies.
    """

    def __init__(self, factory, *args, timeout=3600, **kwargs):
        context = multiprocessing.get_context('spawn')
        self._conn, child = context.Pipe()
        self._timeout = timeout
        self._proc = context.Process(
            target=_serve, args=(child, factory, args, kwargs))
        self._proc.start()
        child.close()
        self._receive(f'building {getattr(factory, "__name__", factory)}')

    def _receive(self, what):
        try:
            if not self._conn.poll(self._timeout):
                raise WorkerError(f'worker: no answer after {self._timeout} '
                                  f's while {what}')
            status, value = self._conn.recv()
        except (EOFError, OSError):
            self._proc.join(5)
            raise WorkerError(f'worker died while {what} (exit status '
                              f'{self._proc.exitcode})') from None
        if status == 'error':
            raise WorkerError(f'worker failed while {what}:\n{value}')
        return value

    def call(self, method, *args, **kwargs):
        """``obj.method(*args, **kwargs)`` in the worker; its result."""
        if not self.alive:
            raise WorkerError('worker: the process has ended')
        self._conn.send((method, args, kwargs))
        return self._receive(f'calling {method}')

    @property
    def alive(self):
        return self._proc.is_alive()

    def close(self):
        """Stop the worker (waits for it; kills it if it does not stop)."""
        if self._proc.is_alive():
            try:
                self._conn.send(None)
                self._conn.poll(30) and self._conn.recv()
            except (EOFError, OSError):
                pass
            self._proc.join(30)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
