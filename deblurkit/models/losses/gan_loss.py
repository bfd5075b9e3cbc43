"""Adversarial losses with fixed targets: vanilla GAN and LSGAN."""
import torch.nn.functional as F

from deblurkit.registry import LOSSES
from .base_adversarial_loss import (BaseAdversarialLoss, mean_over_maps,
                                    predict, predict_pair)


class TargetGANLoss(BaseAdversarialLoss):
    """A GAN loss that pushes real logits to 1 and fake ones to 0.

    ``loss_d = (c(D(real), 1) + c(D(fake), 0)) / 2`` and
    ``loss_g = c(D(fake), 1)`` (non-saturating), per output map, averaged
    over the maps; subclasses give the criterion ``c`` as
    :meth:`criterion`. As the official ``DiscLoss``, ``loss_g`` does not
    run the discriminator on ``real``.
    """

    def criterion(self, pred, target):
        """The loss of logits ``pred`` against ``target`` (same shape)."""
        raise NotImplementedError

    def _target_loss(self, pred, target_value):
        return self.criterion(pred, pred.new_full(pred.shape, target_value))

    def loss_d(self, discriminator, real, fake):
        pred_fake, pred_real = predict_pair(discriminator, fake, real)
        return mean_over_maps([(self._target_loss(p_real, 1.0) +
                                self._target_loss(p_fake, 0.0)) / 2
                               for p_real, p_fake in zip(pred_real, pred_fake)
                               ])

    def loss_g(self, discriminator, real, fake):
        return mean_over_maps([
            self._target_loss(p_fake, 1.0)
            for p_fake in predict(discriminator, fake)
        ])


@LOSSES.register_module()
class VanillaGANLoss(TargetGANLoss):
    """The original GAN loss: binary cross-entropy on logits.

    The official ``disc_loss: gan``. See :class:`BaseAdversarialLoss` for
    the ``loss_d`` / ``loss_g`` interface and :class:`TargetGANLoss` for
    the formulas.
    """

    def criterion(self, pred, target):
        return F.binary_cross_entropy_with_logits(pred, target)


@LOSSES.register_module()
class LSGANLoss(TargetGANLoss):
    """Least-squares GAN: mean squared error of the logits to 1 / 0.

    The official ``disc_loss: lsgan`` used the mean *absolute* error
    (``GANLoss(use_l1=True)``) despite its name; this is the least-squares
    loss of Mao et al. See :class:`TargetGANLoss` for the formulas.
    """

    def criterion(self, pred, target):
        return F.mse_loss(pred, target)
