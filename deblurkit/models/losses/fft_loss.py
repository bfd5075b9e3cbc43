"""A frequency-domain content loss."""
import torch
import torch.nn.functional as F

from deblurkit.registry import LOSSES
from .base_content_loss import BaseContentLoss

FFT_NORMS = ('backward', 'ortho', 'forward')


@LOSSES.register_module()
class FFTLoss(BaseContentLoss):
    """L1 distance between the 2D Fourier transforms of two images.

    ``mean(|Re(F(pred)) - Re(F(target))|)`` and the same for the imaginary
    parts, averaged together, where ``F`` is ``torch.fft.fft2`` over H and W
    of each channel. It weighs the high frequencies that motion blur removes
    as much as the low ones and needs no pretrained weights. The images are
    transformed as given (not mapped to [0, 1]), in float32.

    Args:
        loss_weight (float): Factor of the loss. Default: 1.0.
        norm (str): Normalisation of ``torch.fft.fft2``. ``'ortho'`` keeps
            the loss independent of the image size (the transform preserves
            the L2 norm); ``'backward'`` (unnormalised, as MIMO-UNet, which
            weighs this term 0.1 next to an L1) grows with ``sqrt(H * W)``.
            Default: ``'ortho'``.

    Shapes:
        ``pred``, ``target``: ``(N, C, H, W)`` in [-1, 1]. Output: scalar.
    """

    def __init__(self, loss_weight=1.0, norm='ortho'):
        super().__init__(loss_weight)
        if norm not in FFT_NORMS:
            raise ValueError(f'norm must be one of {FFT_NORMS}, got {norm!r}')
        self.norm = norm

    def _spectrum(self, images):
        # Half precision FFTs are limited to power-of-two sizes on CUDA.
        spectrum = torch.fft.fft2(images.float(), norm=self.norm)
        return torch.view_as_real(spectrum)

    def criterion(self, pred, target):
        return F.l1_loss(self._spectrum(pred), self._spectrum(target))

    def extra_repr(self):
        return f'{super().extra_repr()}, norm={self.norm!r}'
