"""Pixel-wise content losses."""
import math

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


@LOSSES.register_module()
class PSNRLoss(BaseContentLoss):
    """Minus each image's PSNR, averaged over the batch.

    ``mean_n(10 * log10(MSE_n + eps))`` with ``MSE_n`` the mean squared
    error of image ``n`` on the [0, 1] scale (the [-1, 1] images are mapped
    there first, so the value is minus the PSNR the metrics report). The
    loss of NAFNet and HINet: the logarithm weighs an error relative to the
    image's own error, so nearly sharp images count as much as heavily
    blurred ones, where an L1 or MSE over the batch is dominated by the
    latter.

    Args:
        loss_weight (float): Factor of the loss. Default: 1.0.
        eps (float): Added to each MSE, so a perfect image gives
            ``10 * log10(eps)`` (-80 dB) instead of minus infinity.
            Default: 1e-8.

    Shapes:
        ``pred``, ``target``: ``(N, C, H, W)`` in [-1, 1]. Output: scalar.
    """

    def __init__(self, loss_weight=1.0, eps=1e-8):
        super().__init__(loss_weight)
        if not eps > 0:
            raise ValueError(f'eps must be positive, got {eps!r}')
        self.eps = float(eps)

    def criterion(self, pred, target):
        mse = ((pred - target) / 2).pow(2).flatten(1).mean(1)
        return (10 / math.log(10)) * torch.log(mse + self.eps).mean()

    def extra_repr(self):
        return f'{super().extra_repr()}, eps={self.eps}'
