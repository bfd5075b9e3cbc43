"""TemporalNormStats: the one hook of the plain and the fast per-image norms."""
import os.path as osp
import sys

import pytest
import torch

from deblurkit.apis.inference import _run_generator
from deblurkit.models.layers.temporal_norm import (TemporalNormStats,
                                                   temporal_norm_stats)
from deblurkit.runtime import fast_inference

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'test_apis'))
from tiny_deblur_model import build_tiny  # noqa: E402

sys.path.pop(0)


@pytest.fixture(scope='module')
def model():
    return build_tiny()


@pytest.fixture(scope='module')
def frames():
    torch.manual_seed(1)
    return [torch.rand(3, 64, 64) * (0.5 + 0.1 * i) for i in range(3)]


def _run(model, frames, provider, resets, fast):
    with fast_inference(fast), temporal_norm_stats(provider):
        provider.begin_batch(resets)
        return torch.stack(_run_generator(model, frames))


def test_the_ema_of_the_rows_in_order():
    p = TemporalNormStats(0.25)
    p.begin_batch([False, False, True])
    mean = torch.tensor([[0.], [4.], [8.]])
    m, v = p.smooth('layer', mean, mean + 1)
    assert m[:, 0].tolist() == [0, 1, 8]  # 0, 0.75*0+0.25*4, cut: own
    assert v[:, 0].tolist() == [1, 2, 9]
    p.begin_batch([False])
    assert p.smooth('layer', torch.tensor([[0.]]),
                    torch.tensor([[1.]]))[0].item() == 6  # 0.75 * 8


@pytest.mark.parametrize('fast', [True, False])
def test_momentum_one_is_the_plain_per_image_norm(model, frames, fast):
    with fast_inference(fast):
        plain = torch.stack(_run_generator(model, frames))
    provider = TemporalNormStats(1.0)
    same = _run(model, frames, provider, [False] * 3, fast)
    torch.testing.assert_close(same, plain, atol=1e-4, rtol=0)
    assert len(provider._state) > 10  # every norm layer consulted it
    smoothed = _run(model, frames, TemporalNormStats(0.2), [False] * 3, fast)
    torch.testing.assert_close(smoothed[0], plain[0], atol=1e-4, rtol=0)
    assert (smoothed[1:] - plain[1:]).abs().max() > 1e-2
    cut = _run(model, frames, TemporalNormStats(0.2), [False, True, False],
               fast)
    torch.testing.assert_close(cut[1], plain[1], atol=1e-4, rtol=0)


def test_batches_equal_frame_by_frame_and_both_paths_agree(model, frames):
    batched = _run(model, frames, TemporalNormStats(0.3), [False] * 3, True)
    provider = TemporalNormStats(0.3)
    single = torch.cat([
        _run(model, [f], provider, [False], True) for f in frames])
    plain = _run(model, frames, TemporalNormStats(0.3), [False] * 3, False)
    torch.testing.assert_close(batched, single, atol=1e-5, rtol=0)
    torch.testing.assert_close(batched, plain, atol=1e-4, rtol=0)
