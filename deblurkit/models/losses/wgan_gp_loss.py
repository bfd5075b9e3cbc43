"""Wasserstein GAN loss with gradient penalty."""
import torch

from deblurkit.registry import LOSSES
from .base_adversarial_loss import (BaseAdversarialLoss, mean_over_maps,
                                    predict, predict_pair)


@LOSSES.register_module()
class WGANGPLoss(BaseAdversarialLoss):
    """WGAN-GP (Gulrajani et al.): critic scores and a gradient penalty.

    Per output map of the discriminator, averaged over the maps:

    - ``loss_d = mean(D(fake)) - mean(D(real)) + lambda_gp * GP``, with
      ``GP = mean_i((||grad_x sum(D(x_i))||_2 - 1) ** 2)`` on interpolates
      ``x_i = a_i * real_i + (1 - a_i) * fake_i``, one ``a_i ~ U(0, 1)`` per
      image and the norm over all of the image's gradient;
    - ``loss_g = -mean(D(fake))``.

    The official ``DiscLossWGANGP`` drew one ``a`` for the whole batch and
    took the norm over channels only (per pixel); this follows the paper.

    Args:
        lambda_gp (float): Weight of the gradient penalty. Default: 10.
    """

    def __init__(self, lambda_gp=10.0):
        super().__init__()
        if lambda_gp < 0:
            raise ValueError(
                f'lambda_gp must not be negative, got {lambda_gp!r}')
        self.lambda_gp = float(lambda_gp)

    def gradient_penalty(self, discriminator, real, fake):
        """The penalty of each output map (a list of scalar tensors)."""
        alpha = torch.rand(
            real.size(0), *([1] * (real.dim() - 1)),
            device=real.device,
            dtype=real.dtype)
        interpolates = (alpha * real.detach() +
                        (1 - alpha) * fake.detach()).requires_grad_(True)
        with torch.enable_grad():
            preds = predict(discriminator, interpolates)
            penalties = []
            for index, pred in enumerate(preds):
                # create_graph: the penalty is trained through.
                grad, = torch.autograd.grad(
                    pred.sum(),
                    interpolates,
                    create_graph=True,
                    retain_graph=index < len(preds) - 1)
                norm = grad.flatten(1).norm(2, dim=1)
                penalties.append(((norm - 1)**2).mean())
        return penalties

    def loss_d(self, discriminator, real, fake):
        pred_fake, pred_real = predict_pair(discriminator, fake, real)
        penalties = self.gradient_penalty(discriminator, real, fake)
        return mean_over_maps([
            p_fake.mean() - p_real.mean() + self.lambda_gp * penalty
            for p_real, p_fake, penalty in zip(pred_real, pred_fake, penalties)
        ])

    def loss_g(self, discriminator, real, fake):
        return mean_over_maps(
            [-p_fake.mean() for p_fake in predict(discriminator, fake)])

    def extra_repr(self):
        return f'lambda_gp={self.lambda_gp}'
