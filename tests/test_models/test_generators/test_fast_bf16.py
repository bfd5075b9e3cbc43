"""The fast path in bfloat16 on the CPU is as precise as bf16 autocast."""
import math

import pytest
import torch
from conftest import needs_bf16_convolutions
from test_fast_generator import _small_generator

from deblurkit.models.generators.fast import optimize_generator


def _psnr(a, b):
    mse = ((a.double() - b.double()) / 2).pow(2).mean().item()
    return 10 * math.log10(1 / mse)


@needs_bf16_convolutions
@pytest.mark.parametrize('norm_stats', ['per_image', 'running'])
@pytest.mark.parametrize('conv_type', ['conv', 'dsc'])
def test_bf16_fast_path_against_float64(norm_stats, conv_type):
    torch.manual_seed(0)
    generator = _small_generator(conv_type).eval()
    generator.norm_stats = norm_stats
    # 96x96 maps at stride 2: the large-map statistics paths too.
    x = torch.rand(1, 3, 192, 192,
                   generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.inference_mode():
        exact = generator.double()(x.double())
        generator.float()
        with torch.autocast('cpu', torch.bfloat16):
            autocast = generator(x).float()
        fast = optimize_generator(generator, dtype='bf16')
        got = fast(x)
    assert got.dtype == torch.float32 and got.shape == x.shape
    assert fast.head.final.weight.dtype == torch.bfloat16
    # bf16 rounding shows (the conversion really happened) ...
    assert _psnr(got, exact) < 90
    # ... and costs no more than autocast does.
    assert _psnr(got, exact) > min(_psnr(autocast, exact) - 1.0, 60.0)
    assert _psnr(got, exact) > 25  # random weights, per-image: ~29.6 dB
