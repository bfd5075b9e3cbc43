"""SubprocessWorker: an object in a process of its own, called over a pipe.
"""
import collections
import os

import pytest

from tools.analysis_tools.subprocess_worker import (SubprocessWorker,
                                                    WorkerError)


def test_calls_run_in_another_process_and_return_results():
    with SubprocessWorker(os.getpid) as worker:
        child_pid = worker.call('__int__')
    assert child_pid != os.getpid()
    with SubprocessWorker(collections.Counter, 'abracadabra') as counter:
        assert counter.call('most_common', 2) == [('a', 5), ('b', 2)]
        counter.call('update', 'zzzzzz')
        assert counter.call('most_common', 1) == [('z', 6)]
    assert not counter.alive


def test_errors_come_back_with_the_workers_traceback():
    with pytest.raises(WorkerError, match='ValueError'):
        SubprocessWorker(int, 'not a number')
    with SubprocessWorker(collections.Counter) as counter:
        with pytest.raises(WorkerError, match="no attribute 'nope'"):
            counter.call('nope')
        # The worker survives a failed call.
        assert counter.call('total') == 0
