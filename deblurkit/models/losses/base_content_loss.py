"""What every content loss (restored image vs. sharp image) has in common."""
import torch.nn as nn


def check_same_shape(pred, target, owner):
    """Raise a ValueError naming ``owner`` if the two tensors differ in shape.

    Broadcasting would otherwise turn a size mismatch into a silently wrong
    loss.
    """
    if pred.shape != target.shape:
        raise ValueError(f'{owner}: pred and target must have the same '
                         f'shape, got {tuple(pred.shape)} and '
                         f'{tuple(target.shape)}')


class BaseContentLoss(nn.Module):
    """``loss_weight * self.criterion(pred, target)`` for two image batches.

    Subclasses implement :meth:`criterion`. The images are compared as
    given: deblurkit's models pass them in [-1, 1] and no subclass of this
    base maps them to [0, 1] (so an L1 value here is twice the L1 of the
    same images in [0, 1], an MSE four times; the official ``'l1'`` content
    loss also works on [-1, 1]).

    Args:
        loss_weight (float): Factor of the loss. Default: 1.0.

    Shapes:
        ``pred`` and ``target``: ``(N, C, H, W)``, equal. Output: a scalar.
    """

    def __init__(self, loss_weight=1.0):
        super().__init__()
        self.loss_weight = float(loss_weight)

    def criterion(self, pred, target):
        """The unweighted loss (a scalar tensor)."""
        raise NotImplementedError

    def forward(self, pred, target):
        check_same_shape(pred, target, type(self).__name__)
        return self.loss_weight * self.criterion(pred, target)

    def extra_repr(self):
        return f'loss_weight={self.loss_weight}'
