"""deblurkit.runtime: switches read once, with getter, setter and context
manager; the allocator tuned only when asked."""
import subprocess
import sys

import pytest

from deblurkit import runtime


@pytest.mark.parametrize('value,expected', [('0', False), ('off', False),
                                            ('False', False), ('NO', False),
                                            ('1', True), ('Yes', True),
                                            (' on ', True), ('', True)])
def test_env_flag_parses_every_switch_alike(monkeypatch, value, expected):
    monkeypatch.setenv('DEBLURKIT_TEST_FLAG', value)
    assert runtime.env_flag('DEBLURKIT_TEST_FLAG', True) is expected


def test_a_bad_env_value_warns_and_keeps_the_default(monkeypatch):
    monkeypatch.setenv('DEBLURKIT_TEST_FLAG', 'maybe')
    with pytest.warns(UserWarning, match="DEBLURKIT_TEST_FLAG='maybe'"):
        assert runtime.env_flag('DEBLURKIT_TEST_FLAG', False) is False


@pytest.mark.parametrize('name', ['fast_inference', 'malloc_tuning'])
def test_getter_setter_and_context_manager(name):
    getter = getattr(runtime, f'{name}_enabled')
    setter = getattr(runtime, f'set_{name}')
    scoped = getattr(runtime, name)
    start = getter()
    try:
        assert setter(False) is start
        assert getter() is False
        with scoped(True):
            assert getter() is True
            with pytest.raises(RuntimeError), scoped(False):
                assert getter() is False
                raise RuntimeError('restored even on an error')
            assert getter() is True
        assert getter() is False
        with pytest.raises(TypeError, match='True or False'):
            setter('0')
    finally:
        setter(start)


def test_the_environment_is_read_once_at_import():
    code = ('import os; from deblurkit import runtime; '
            "os.environ['DEBLURKIT_FAST_INFERENCE'] = '1'; "
            'print(runtime.fast_inference_enabled(), '
            'runtime.malloc_tuning_enabled())')
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True,
        env={'DEBLURKIT_FAST_INFERENCE': 'false', 'DEBLURKIT_TUNE_MALLOC':
             'OFF', 'PATH': '', 'PYTHONPATH': ':'.join(sys.path),
             'PYTHONDONTWRITEBYTECODE': '1'},  # nothing into the checkout
        check=True).stdout
    assert out.split() == ['False', 'False']


def test_allocator_is_tuned_only_when_asked(monkeypatch):
    monkeypatch.setitem(runtime._allocator, 'tuned', False)
    with runtime.malloc_tuning(False):
        assert runtime.tune_cpu_allocator() is False
        assert runtime.allocator_tuned() is False
        assert runtime.tune_cpu_allocator(force=True) is \
            runtime.allocator_tuned()


def test_inference_leaves_the_allocator_alone(tmp_path):
    # A fresh process: the first deblur_image call must not tune glibc.
    code = ('import numpy as np, torch, sys; '
            "sys.path.insert(0, 'tests/test_apis'); "
            'from tiny_deblur_model import build_tiny; '
            'from deblurkit.apis import deblur_image; '
            'from deblurkit import runtime; '
            'deblur_image(build_tiny(), np.zeros((40, 40, 3), np.uint8)); '
            'print(runtime.allocator_tuned())')
    import os.path as osp
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, cwd=repo, check=True).stdout
    assert out.split()[-1] == 'False'
