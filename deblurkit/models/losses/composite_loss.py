"""A sum of content losses, built from configs."""
import torch.nn as nn

from deblurkit.registry import LOSSES


@LOSSES.register_module()
class CompositeLoss(nn.Module):
    """The sum of several content losses, each with its own weight.

    Lets a config combine content terms, e.g.
    ``dict(type='CompositeLoss', losses=[dict(type='L1Loss'),
    dict(type='FFTLoss', loss_weight=0.1)])``. Each part keeps its own
    ``loss_weight`` (and its own input range convention).

    Args:
        losses (list[dict | nn.Module]): Configs of losses registered in
            ``LOSSES`` (or built modules), each called as
            ``loss(pred, target)``.

    Shapes:
        ``pred``, ``target``: ``(N, C, H, W)`` in [-1, 1]. Output: scalar,
        the sum of the parts' outputs.
    """

    def __init__(self, losses):
        super().__init__()
        if not isinstance(losses, (list, tuple)) or not losses:
            raise ValueError('losses must be a non-empty list of loss '
                             f'configs, got {losses!r}')
        self.losses = nn.ModuleList(
            loss if isinstance(loss, nn.Module) else LOSSES.build(loss)
            for loss in losses)

    def forward(self, pred, target):
        return sum(loss(pred, target) for loss in self.losses)
