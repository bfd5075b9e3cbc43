import numpy as np
import pytest
import torch

from deblurkit.models.losses import FFTLoss
from deblurkit.registry import LOSSES


def reference(pred, target, norm):
    diff = np.fft.fft2(pred.numpy(), norm=norm) - np.fft.fft2(
        target.numpy(), norm=norm)
    return (np.abs(diff.real).mean() + np.abs(diff.imag).mean()) / 2


@pytest.mark.parametrize('norm', ['ortho', 'backward'])
def test_l1_of_real_and_imaginary_parts(norm):
    torch.manual_seed(0)
    pred = torch.rand(2, 3, 8, 6) * 2 - 1
    target = torch.rand(2, 3, 8, 6) * 2 - 1
    loss = LOSSES.build(dict(type='FFTLoss', loss_weight=0.1, norm=norm))
    assert loss(pred, target).item() == pytest.approx(
        0.1 * reference(pred, target, norm), rel=1e-5)


def test_a_constant_offset_is_only_in_the_zero_frequency():
    target = torch.zeros(1, 1, 4, 4)
    # ortho: DC coefficient = sum / sqrt(16) = 16 * 0.5 / 4 = 2; 32 values.
    assert FFTLoss()(target + 0.5, target).item() == pytest.approx(2 / 32)


def test_gradient_and_bad_norm():
    pred = torch.rand(1, 3, 8, 8, requires_grad=True)
    FFTLoss()(pred, torch.rand(1, 3, 8, 8)).backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='norm'):
        FFTLoss(norm='unit')
