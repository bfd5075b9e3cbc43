"""Checkpoints: safe loading, plain-data training state, atomic saving."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging.history_buffer import HistoryBuffer

from deblurkit.engine import (SCHEME, AtomicLocalBackend,
                              DeblurCheckpointHook, UnsafeCheckpointError,
                              atomic_write, safe_torch_load)
from deblurkit.engine.hooks.safe_checkpoint_hook import (SafeCheckpointHook,
                                                         from_plain, to_plain)


class _Payload:
    """Unpickling this touches a file: proof that code would have run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_checkpoint_smuggling_a_callable_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': _Payload(str(marker))}, path)
    with pytest.raises(UnsafeCheckpointError) as err:
        safe_torch_load(str(path))
    assert 'evil.pth' in str(err.value)
    assert 'open' in str(err.value)  # names the global it refused
    assert not marker.exists(), 'the payload ran'


def test_mmengine_loader_is_safe_too(tmp_path):
    """Through mmengine's loading, under deblurkit's own scheme."""
    from mmengine.runner.checkpoint import _load_checkpoint
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'meta': _Payload(str(marker))}, path)
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(SCHEME + str(path), map_location='cpu')
    assert not marker.exists()
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}}, good)
    loaded = _load_checkpoint(SCHEME + str(good), map_location='cpu')
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


def test_mmengine_default_loaders_are_left_alone():
    """Importing deblurkit changes no loader of other OpenMMLab libraries."""
    from mmengine.runner.checkpoint import CheckpointLoader, load_from_local
    assert CheckpointLoader._schemes[''] is load_from_local
    assert CheckpointLoader._schemes[SCHEME].__module__ == \
        'deblurkit.engine.checkpoint'


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        safe_torch_load(str(tmp_path / 'absent.pth'))


def test_training_state_round_trips_as_plain_data(tmp_path):
    buffer = HistoryBuffer([1.0, 2.5, 4.0], [1, 1, 2], max_length=10)
    state = {
        'message_hub': {
            'log_scalars': {'train/loss': buffer},
            'runtime_info': {'eta': np.float64(3.5), 'iter': 7,
                             'arr': np.arange(3)},
        },
        'meta': {'seed': np.int64(5)},
        'state_dict': {'w': torch.ones(2)},
    }
    hook = SafeCheckpointHook()
    hook.before_save_checkpoint(None, state)
    path = tmp_path / 'plain.pth'
    torch.save(state, path)
    # No allowlist needed: plain weights_only loading works.
    loaded = torch.load(path, weights_only=True)
    hook.after_load_checkpoint(None, loaded)
    restored = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(restored, HistoryBuffer)
    np.testing.assert_array_equal(restored.data[0], [1.0, 2.5, 4.0])
    np.testing.assert_array_equal(restored.data[1], [1, 1, 2])
    assert restored.max_length == 10
    assert restored.mean(2) == pytest.approx(buffer.mean(2))
    info = loaded['message_hub']['runtime_info']
    assert info['eta'] == 3.5 and info['iter'] == 7
    np.testing.assert_array_equal(info['arr'], [0, 1, 2])
    assert loaded['meta']['seed'] == 5


def test_plain_conversion_keeps_containers():
    data = {'a': [np.float32(1.5), (np.int8(2), 'x')]}
    assert from_plain(to_plain(data)) == {'a': [1.5, (2, 'x')]}


def test_atomic_write_leaves_nothing_on_crash(tmp_path, monkeypatch):
    target = tmp_path / 'ckpt.pth'

    def crash(*args):
        raise KeyboardInterrupt  # killed between writing and renaming

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(str(target), b'x' * 1000)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / 'ckpt.pth'
    target.write_bytes(b'old')
    atomic_write(str(target), b'new contents')
    assert target.read_bytes() == b'new contents'
    assert [p.name for p in tmp_path.iterdir()] == ['ckpt.pth']


def test_mmengine_saves_checkpoints_atomically(tmp_path, monkeypatch):
    """A save killed mid-write leaves no file that looks like a checkpoint."""
    from mmengine.runner.checkpoint import save_checkpoint
    # mmengine's own local backend stays as it is for other libraries;
    # deblurkit's checkpoint hook saves through the atomic one.
    assert not isinstance(get_file_backend(str(tmp_path)),
                          AtomicLocalBackend)
    hook = DeblurCheckpointHook(interval=1)
    backend_args = hook.backend_args
    assert isinstance(get_file_backend(str(tmp_path),
                                       backend_args=backend_args),
                      AtomicLocalBackend)
    target = tmp_path / 'iter_10.pth'

    real_fsync = os.fsync

    def die(fd):
        real_fsync(fd)
        raise SystemExit('killed')

    monkeypatch.setattr(os, 'fsync', die)
    with pytest.raises(SystemExit):
        save_checkpoint({'state_dict': {'w': torch.ones(1000)}}, str(target),
                        backend_args=backend_args)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, str(target),
                    backend_args=backend_args)
    assert torch.equal(safe_torch_load(str(target))['state_dict']['w'],
                       torch.ones(3))


def test_unsafe_error_is_an_unpickling_error():
    assert issubclass(UnsafeCheckpointError, pickle.UnpicklingError)
