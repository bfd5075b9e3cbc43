import pytest
import torch

from deblurkit.models.losses import CompositeLoss, FFTLoss, L1Loss, MSELoss
from deblurkit.registry import LOSSES


def test_sums_its_parts():
    loss = LOSSES.build(
        dict(
            type='CompositeLoss',
            losses=[
                dict(type='L1Loss'),
                dict(type='FFTLoss', loss_weight=0.1),
                dict(type='MSELoss', loss_weight=2.0)
            ]))
    assert [type(part) for part in loss.losses] == [L1Loss, FFTLoss, MSELoss]
    pred, target = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    expected = (L1Loss()(pred, target) + 0.1 * FFTLoss()(pred, target) +
                2.0 * MSELoss()(pred, target))
    torch.testing.assert_close(loss(pred, target), expected)


def test_accepts_built_modules():
    loss = CompositeLoss([L1Loss(loss_weight=3.0)])
    assert loss(torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2)).item() == 3.0


@pytest.mark.parametrize('losses', [[], None, dict(type='L1Loss')])
def test_needs_a_list(losses):
    with pytest.raises(ValueError, match='losses'):
        CompositeLoss(losses)
