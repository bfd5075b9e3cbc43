import pytest
import torch

import math

from deblurkit.models.losses import CharbonnierLoss, L1Loss, MSELoss, PSNRLoss
from deblurkit.registry import LOSSES

PRED = torch.tensor([0.5, -0.5, 1.0, 0.0]).view(1, 1, 2, 2)
TARGET = torch.tensor([0.0, 0.5, -1.0, 0.0]).view(1, 1, 2, 2)
# differences: 0.5, -1, 2, 0


@pytest.mark.parametrize('cfg,expected', [
    (dict(type='L1Loss'), (0.5 + 1 + 2 + 0) / 4),
    (dict(type='MSELoss'), (0.25 + 1 + 4 + 0) / 4),
    (dict(type='L1Loss', loss_weight=2.0), 3.5 / 4 * 2),
    (dict(type='MSELoss', loss_weight=0.5), 5.25 / 4 * 0.5),
    (dict(type='CharbonnierLoss', eps=0.5),
     (0.5**0.5 + 1.25**0.5 + 4.25**0.5 + 0.5) / 4),
])
def test_values_on_images_as_given(cfg, expected):
    loss = LOSSES.build(cfg)
    assert loss(PRED, TARGET).item() == pytest.approx(expected)


def test_charbonnier_tends_to_l1():
    pred, target = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    assert CharbonnierLoss(eps=1e-6)(pred, target).item() == pytest.approx(
        L1Loss()(pred, target).item(), rel=1e-5)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match='MSELoss.*same shape'):
        MSELoss()(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 1))


def test_bad_eps():
    with pytest.raises(ValueError, match='eps'):
        CharbonnierLoss(eps=0)


def test_psnr_loss_is_minus_the_mean_per_image_psnr():
    # image 0: differences 0.5, -1, 2, 0 on [-1, 1] -> MSE 5.25 / 16 on
    # [0, 1]; image 1: all differences 0.2 -> MSE 0.01.
    pred = torch.cat([PRED, TARGET + 0.2])
    target = torch.cat([TARGET, TARGET])
    psnr = [10 * math.log10(1 / (5.25 / 16)), 10 * math.log10(1 / 0.01)]
    loss = PSNRLoss(eps=1e-12)
    assert loss(pred, target).item() == pytest.approx(-sum(psnr) / 2,
                                                      rel=1e-5)
    # per image, not over the batch: the batch MSE would give another value
    batch_mse = (5.25 / 16 + 0.01) / 2
    assert loss(pred, target).item() != pytest.approx(
        10 * math.log10(batch_mse), rel=1e-3)
    assert PSNRLoss(loss_weight=0.5, eps=1e-12)(
        pred, target).item() == pytest.approx(-sum(psnr) / 4, rel=1e-5)


def test_psnr_loss_of_a_perfect_image_is_finite():
    x = torch.rand(1, 3, 4, 4)
    assert PSNRLoss()(x, x).item() == pytest.approx(-80.0)
    with pytest.raises(ValueError, match='eps'):
        PSNRLoss(eps=0.0)
