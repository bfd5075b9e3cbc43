"""A generator that returns its input: the metrics of the blurred images."""
import torch
import torch.nn as nn

from deblurkit.registry import MODELS


@MODELS.register_module()
class IdentityGenerator(nn.Module):
    """``clamp(gain * x, -1, 1)`` with ``gain`` 1: the identity.

    The parameter gives checkpoints a ``generator.*`` key and the
    generator optimizer something to hold.
    """

    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(()))

    def forward(self, x):
        return torch.clamp(self.gain * x, -1, 1)
