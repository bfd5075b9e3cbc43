import math

import pytest
import torch

from deblurkit.models.losses import LSGANLoss, VanillaGANLoss
from deblurkit.registry import LOSSES

REAL = torch.tensor([1.0, 3.0]).view(1, 1, 1, 2)
FAKE = torch.tensor([0.0, -2.0]).view(1, 1, 1, 2)


def identity(x):
    return [x]


def softplus(x):
    return math.log1p(math.exp(x))


def test_lsgan_values():
    loss = LOSSES.build(dict(type='LSGANLoss'))
    # D: (mean((r - 1)^2) + mean(f^2)) / 2 = ((0 + 4) / 2 + (0 + 4) / 2) / 2
    assert loss.loss_d(identity, REAL, FAKE).item() == pytest.approx(2.0)
    # G: mean((f - 1)^2) = (1 + 9) / 2
    assert loss.loss_g(identity, REAL, FAKE).item() == pytest.approx(5.0)


def test_lsgan_averages_over_maps():
    loss = LSGANLoss()
    # map 2x: r = [2, 6], f = [0, -4]: ((1 + 25) / 2 + (0 + 16) / 2) / 2
    value = loss.loss_d(lambda x: [x, 2 * x], REAL, FAKE)
    assert value.item() == pytest.approx((2.0 + 10.5) / 2)


def test_vanilla_values():
    loss = VanillaGANLoss()
    d_real = (softplus(-1) + softplus(-3)) / 2
    d_fake = (softplus(0) + softplus(-2)) / 2
    assert loss.loss_d(identity, REAL, FAKE).item() == pytest.approx(
        (d_real + d_fake) / 2)
    assert loss.loss_g(identity, REAL, FAKE).item() == pytest.approx(
        (softplus(0) + softplus(2)) / 2)


def test_g_loss_does_not_run_d_on_real():
    seen = []
    VanillaGANLoss().loss_g(lambda x: seen.append(x) or [x], REAL, FAKE)
    assert len(seen) == 1 and seen[0] is FAKE


def test_called_through_loss_d_and_loss_g_only():
    with pytest.raises(RuntimeError, match='loss_d'):
        LSGANLoss()(REAL, FAKE)
    with pytest.raises(TypeError, match='discriminator'):
        LSGANLoss().loss_g(lambda x: {'map': x}, REAL, FAKE)
