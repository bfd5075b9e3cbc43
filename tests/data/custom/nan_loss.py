"""A content loss that turns NaN at one iteration, for the NaN-stop tests."""
import torch
from mmengine.logging import MessageHub

from deblurkit.models.losses import L1Loss
from deblurkit.registry import LOSSES


@LOSSES.register_module()
class NaNAtIterationLoss(L1Loss):
    """``L1Loss``, but NaN at iteration ``nan_iter`` (-1: never)."""

    def __init__(self, nan_iter=-1, **kwargs):
        super().__init__(**kwargs)
        self.nan_iter = nan_iter

    def forward(self, pred, target):
        loss = super().forward(pred, target)
        if MessageHub.get_current_instance().get_info('iter') == \
                self.nan_iter:
            loss = loss * torch.tensor(float('nan'))
        return loss
