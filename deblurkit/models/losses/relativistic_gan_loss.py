"""Relativistic average GAN losses with prediction pools (RaGAN, RaGAN-LS).
"""
from collections import deque

import torch
import torch.nn.functional as F

from deblurkit.registry import LOSSES
from .base_adversarial_loss import (BaseAdversarialLoss, mean_over_maps,
                                    predict, predict_pair)


class PredictionPool:
    """The mean of the discriminator's predictions over its last steps.

    Holds, for each of the last ``size`` pushes, the sum and the number of
    elements of the pushed (detached) prediction map, which is all the
    relativistic losses need: :meth:`mean` is the mean of every element of
    the kept maps, as the mean of the official ``ImagePool`` contents.

    Args:
        size (int): How many pushes are kept.
    """

    def __init__(self, size):
        self._entries = deque(maxlen=size)

    def __len__(self):
        return len(self._entries)

    def push(self, pred):
        """Keep ``pred`` (detached), dropping the oldest entry when full."""
        pred = pred.detach()
        self._entries.append((pred.float().sum(), pred.numel()))

    def mean(self):
        """The mean over the kept predictions (a 0-dim float32 tensor)."""
        if not self._entries:
            raise RuntimeError(
                'the prediction pool is empty: a relativistic loss needs '
                'loss_d (the discriminator step) before loss_g')
        total = torch.stack([total for total, _ in self._entries]).sum()
        return total / sum(count for _, count in self._entries)


class RelativisticAverageLoss(BaseAdversarialLoss):
    """Relativistic average GAN loss with a pool of past predictions.

    For each output map of the discriminator, ``rel_real = D(real) -
    mean(pool_fake)`` and ``rel_fake = D(fake) - mean(pool_real)``; then

    - ``loss_d = (c(rel_real, real) + c(rel_fake, fake)) / 2``,
    - ``loss_g = (c(rel_real, fake) + c(rel_fake, real)) / 2``,

    averaged over the maps, where the criterion ``c`` of a subclass pulls
    its input to the "real" or the "fake" target.

    Pools, as the official ``RelativisticDiscLoss(LS)`` (which the official
    double_gan deep-copies per discriminator): each output index of the
    discriminator has its own pair of pools (real, fake), created at the
    first call. ``loss_d`` runs ``D(fake)`` then ``D(real)``, pushes both
    detached maps (fake pool, real pool), then reads the pool means, so
    they include the current step. ``loss_g`` runs ``D(fake)`` and
    ``D(real)`` (the latter without gradient: it does not depend on the
    generator) and only reads the pools. A pool keeps the predictions of
    its last ``pool_size`` discriminator steps (whole batches); the official
    pool counts single images, which is the same at the released batch size
    of 1. Pools are not saved in checkpoints: after a resume they refill
    within ``pool_size`` steps.

    Args:
        pool_size (int): Discriminator steps kept in each pool. 1 means the
            current batch only (in ``loss_d``). Default: 50.
    """

    def __init__(self, pool_size=50):
        super().__init__()
        if isinstance(pool_size, bool) or not isinstance(
                pool_size, int) or pool_size < 1:
            raise ValueError(
                f'pool_size must be a positive integer, got {pool_size!r}')
        self.pool_size = pool_size
        self.real_pools = []
        self.fake_pools = []

    def criterion(self, rel_pred, towards_real):
        """The loss pulling ``rel_pred`` to the real or the fake target."""
        raise NotImplementedError

    def _pools_for(self, num_maps):
        if not self.real_pools:
            self.real_pools = [
                PredictionPool(self.pool_size) for _ in range(num_maps)
            ]
            self.fake_pools = [
                PredictionPool(self.pool_size) for _ in range(num_maps)
            ]
        if len(self.real_pools) != num_maps:
            raise ValueError(
                f'the discriminator returned {num_maps} maps, but '
                f'{len(self.real_pools)} before; use one '
                f'{type(self).__name__} per discriminator')
        return zip(self.real_pools, self.fake_pools)

    def _pair_loss(self, rel_real, rel_fake, real_is_real):
        return (self.criterion(rel_real, real_is_real) +
                self.criterion(rel_fake, not real_is_real)) / 2

    def loss_d(self, discriminator, real, fake):
        pred_fake, pred_real = predict_pair(discriminator, fake, real)
        losses = []
        for p_real, p_fake, (real_pool, fake_pool) in zip(
                pred_real, pred_fake, self._pools_for(len(pred_real))):
            fake_pool.push(p_fake)
            real_pool.push(p_real)
            losses.append(
                self._pair_loss(p_real - fake_pool.mean(),
                                p_fake - real_pool.mean(), True))
        return mean_over_maps(losses)

    def loss_g(self, discriminator, real, fake):
        pred_fake = predict(discriminator, fake)
        with torch.no_grad():
            pred_real = predict(discriminator, real)
        return mean_over_maps([
            self._pair_loss(p_real - fake_pool.mean(),
                            p_fake - real_pool.mean(), False)
            for p_real, p_fake, (real_pool, fake_pool) in zip(
                pred_real, pred_fake, self._pools_for(len(pred_real)))
        ])

    def extra_repr(self):
        return f'pool_size={self.pool_size}'


@LOSSES.register_module()
class RaGANLSLoss(RelativisticAverageLoss):
    """Relativistic average least-squares GAN loss (RaGAN-LS).

    The loss of the released DeblurGAN-v2 weights. With the notation of
    :class:`RelativisticAverageLoss` (pools, what is pushed when):

    - ``loss_d = (mean((rel_real - 1) ** 2) + mean((rel_fake + 1) ** 2)) /
      2``,
    - ``loss_g = (mean((rel_real + 1) ** 2) + mean((rel_fake - 1) ** 2)) /
      2``.

    Args:
        pool_size (int): Discriminator steps kept in each pool. Default: 50.
    """

    def criterion(self, rel_pred, towards_real):
        target = 1.0 if towards_real else -1.0
        return torch.mean((rel_pred - target)**2)


@LOSSES.register_module()
class RaGANLoss(RelativisticAverageLoss):
    """Relativistic average GAN loss with binary cross-entropy (RaGAN).

    The official ``disc_loss: ragan``. With the notation of
    :class:`RelativisticAverageLoss`, ``c(x, real) = BCE(x, 1)`` and
    ``c(x, fake) = BCE(x, 0)`` on logits.

    Args:
        pool_size (int): Discriminator steps kept in each pool. Default: 50.
    """

    def criterion(self, rel_pred, towards_real):
        target = torch.full_like(rel_pred, 1.0 if towards_real else 0.0)
        return F.binary_cross_entropy_with_logits(rel_pred, target)
