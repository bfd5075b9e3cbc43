"""What every deblurkit backbone provides."""
import torch.nn as nn

FEATURE_STRIDES = (2, 4, 8, 16, 32)


class BaseBackbone(nn.Module):
    """A backbone returns five feature maps at strides 2, 4, 8, 16 and 32.

    Subclasses set ``out_channels`` (a tuple of five ints, one per map) and
    implement ``forward(x) -> tuple of 5 tensors``. Any ``nn.Module`` with
    that contract works as a backbone; this base class adds freezing.
    """

    out_channels = ()
    out_strides = FEATURE_STRIDES

    def freeze(self):
        """Stop gradients to every parameter of the backbone."""
        self.requires_grad_(False)
        return self

    def unfreeze(self):
        """Let gradients flow to every parameter of the backbone again."""
        self.requires_grad_(True)
        return self

    @property
    def frozen(self):
        return not any(p.requires_grad for p in self.parameters())
