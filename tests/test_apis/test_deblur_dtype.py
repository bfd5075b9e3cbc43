"""dtype= of deblur_image / deblur_images / deblur_video (bf16 on the CPU)."""
import numpy as np
import pytest
import torch
from conftest import needs_bf16_convolutions
from tiny_deblur_model import tiny_model, tiny_running_model  # noqa: F401

from deblurkit.apis import deblur_image, deblur_video, inference


def _psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64))**2)
    return 10 * np.log10(255.0**2 / mse)


def _image(seed=0):
    # A smooth image with texture: what a photo looks like to the network.
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:96, 0:128]
    base = 127 + 80 * np.sin(xx[..., None] / 9.0 + np.arange(3)) * np.cos(
        yy[..., None] / 13.0)
    return np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(
        np.uint8)


@pytest.fixture
def bf16_cpu(monkeypatch):
    """This CPU counts as one with native bfloat16 (emulated otherwise)."""
    monkeypatch.setattr(inference, 'native_bf16', lambda: True)
    calls = []
    real = inference.fast_generator_for
    monkeypatch.setattr(
        inference, 'fast_generator_for',
        lambda generator, dtype=None: calls.append(dtype) or real(
            generator, dtype))
    return calls


@needs_bf16_convolutions
@pytest.mark.parametrize('model_name, bound', [
    ('tiny_running_model', 45.0),  # folded norms: bf16 rounding only
    # Random weights, 1/32-scale maps of 3x4 pixels normalised by their own
    # statistics: rounding is amplified (27 dB; eager bf16 autocast is no
    # better, see test_fast_bf16.py).
    ('tiny_model', 24.0),
])
def test_bf16_is_close_to_fp32(request, bf16_cpu, model_name, bound):
    model = request.getfixturevalue(model_name)
    img = _image()
    fp32 = deblur_image(model, img)
    bf16 = deblur_image(model, img, dtype='bf16')
    assert bf16_cpu == [None, torch.bfloat16]  # the fast path, in bf16
    assert bf16.shape == img.shape and bf16.dtype == np.uint8
    assert not np.array_equal(bf16, fp32)  # it did run in another dtype
    assert _psnr(bf16, fp32) > bound
    assert deblur_image(model, img, dtype=torch.bfloat16).tobytes() == \
        bf16.tobytes()


def test_bf16_is_refused_on_a_cpu_without_it(tiny_model, monkeypatch,
                                             tmp_path):
    monkeypatch.setattr(inference, 'native_bf16', lambda: False)
    with pytest.raises(ValueError, match='native bfloat16.*run in fp32'):
        deblur_image(tiny_model, _image(), dtype='bf16')
    with pytest.raises(ValueError, match='native bfloat16'):
        deblur_video(tiny_model, str(tmp_path / 'missing.mp4'),
                     str(tmp_path / 'out.mp4'), dtype='bf16')
    assert not (tmp_path / 'out.mp4').exists()


@pytest.mark.parametrize('kwargs, message', [
    (dict(dtype='fp8'), 'dtype must be one of fp32, fp16, bf16'),
    (dict(dtype=torch.float64), 'dtype must be one of'),
    (dict(dtype='fp16'), 'fp16 needs the model on a CUDA device'),
    (dict(fp16=True, dtype='bf16'), 'disagree'),
])
def test_bad_dtypes(tiny_model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        deblur_image(tiny_model, _image(), **kwargs)


def test_resolve_dtype():
    assert inference.resolve_dtype('cpu') is None
    assert inference.resolve_dtype('cpu', 'fp32') is None
    assert inference.resolve_dtype('cuda', fp16=True) is torch.float16
    assert inference.resolve_dtype('cuda:1', 'bf16') is torch.bfloat16
