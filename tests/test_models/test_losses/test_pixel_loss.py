import pytest
import torch

from deblurkit.models.losses import CharbonnierLoss, L1Loss, MSELoss
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
