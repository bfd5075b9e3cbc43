"""Pixel-wise content losses."""
import torch
import torch.nn.functional as F

from deblurkit.registry import LOSSES
from .base_content_loss import BaseContentLoss


@LOSSES.register_module()
class L1Loss(BaseContentLoss):
    """Mean absolute error, on the images as given (not mapped to [0, 1]).

    The official ``content_loss: l1`` option.

    Args:
        loss_weight (float): Factor of the loss. Default: 1.0.

    Shapes:
        ``pred``, ``target``: ``(N, C, H, W)`` in [-1, 1]. Output: scalar.
    """

    def criterion(self, pred, target):
        return F.l1_loss(pred, target)


@LOSSES.register_module()
class MSELoss(BaseContentLoss):
    """Mean squared error, on the images as given (not mapped to [0, 1]).

    Args:
        loss_weight (float): Factor of the loss. Default: 1.0.

    Shapes:
        ``pred``, ``target``: ``(N, C, H, W)`` in [-1, 1]. Output: scalar.
    """

    def criterion(self, pred, target):
        return F.mse_loss(pred, target)


@LOSSES.register_module()
class CharbonnierLoss(BaseContentLoss):
    """``mean(sqrt((pred - target) ** 2 + eps ** 2))``: a smooth L1.

    Computed on the images as given (not mapped to [0, 1]); ``eps`` is in
    those units.

    Args:
        loss_weight (float): Factor of the loss. Default: 1.0.
        eps (float): Where the loss turns from quadratic to linear.
            Default: 1e-3.

    Shapes:
        ``pred``, ``target``: ``(N, C, H, W)`` in [-1, 1]. Output: scalar.
    """

    def __init__(self, loss_weight=1.0, eps=1e-3):
        super().__init__(loss_weight)
        if not eps > 0:
            raise ValueError(f'eps must be positive, got {eps!r}')
        self.eps = float(eps)

    def criterion(self, pred, target):
        return torch.sqrt((pred - target)**2 + self.eps**2).mean()

    def extra_repr(self):
        return f'{super().extra_repr()}, eps={self.eps}'
