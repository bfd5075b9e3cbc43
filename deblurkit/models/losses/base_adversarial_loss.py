"""The interface between a GAN model, its discriminator and its adversarial
loss."""
import torch
import torch.nn as nn


def predict(discriminator, images):
    """The discriminator's logit maps for ``images``, always as a list.

    deblurkit's discriminators return a list (one map per sub-discriminator
    or head); a plain module returning one tensor is accepted as well.
    """
    preds = discriminator(images)
    if isinstance(preds, torch.Tensor):
        return [preds]
    if not isinstance(preds, (list, tuple)) or not preds:
        raise TypeError('a discriminator must return a tensor or a non-empty '
                        f'list of tensors, got {type(preds).__name__}')
    return list(preds)


def mean_over_maps(losses):
    """Average the losses of the maps of one discriminator call.

    The official double_gan averages its patch and full losses.
    """
    return sum(losses) / len(losses)


class BaseAdversarialLoss(nn.Module):
    """An adversarial loss: the discriminator's and the generator's terms.

    The GAN model calls, in each iteration:

    - ``loss_d(discriminator, real, fake)`` in the discriminator step, with
      ``fake`` already detached from the generator;
    - ``loss_g(discriminator, real, fake)`` in the generator step, with
      ``fake`` attached to the generator.

    Both run the discriminator themselves, compute the loss on each of its
    output maps and return the average over the maps (a scalar). ``real``
    and ``fake`` are ``(N, C, H, W)`` images in [-1, 1]. The losses take
    logits: no discriminator ends with a sigmoid. No weight is applied
    here; the model multiplies by its ``adv_lambda``.
    """

    def loss_d(self, discriminator, real, fake):
        """The discriminator's loss (a scalar tensor)."""
        raise NotImplementedError

    def loss_g(self, discriminator, real, fake):
        """The generator's loss (a scalar tensor)."""
        raise NotImplementedError

    def forward(self, *args, **kwargs):
        raise RuntimeError(f'{type(self).__name__} is called through '
                           'loss_d(discriminator, real, fake) and '
                           'loss_g(discriminator, real, fake)')
