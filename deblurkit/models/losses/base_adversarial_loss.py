"""The interface between a GAN model, its discriminator and its adversarial
loss."""
from contextlib import contextmanager

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm


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


def _per_sample(discriminator):
    """Whether ``discriminator`` treats every image of a batch on its own.

    Only discriminators that declare it (``per_sample = True``, as
    deblurkit's PatchGAN family does) and hold no batch norm qualify: for
    them one call on a concatenated batch gives each image's maps as
    separate calls would.
    """
    module = getattr(discriminator, 'module', discriminator)  # DDP
    if not getattr(module, 'per_sample', False):
        return False
    return not any(isinstance(m, _BatchNorm) for m in module.modules())


@contextmanager
def _running_stats_as_two_calls(discriminator, split):
    """Make a call on ``cat([first, second])`` (``split`` images first)
    update the instance norms' running statistics as a call on ``first``
    then one on ``second`` would.

    The running statistics are never used in training (a discriminator is
    only run in train mode) but are saved in checkpoints; this keeps them
    what the unbatched iteration computes.
    """
    norms = [
        m for m in discriminator.modules() if isinstance(m, _InstanceNorm)
        and m.track_running_stats and m.training
    ]
    saved = {}

    def before(norm, args):
        x = args[0].detach()
        dims = tuple(range(2, x.dim()))
        with torch.no_grad():
            mean = x.mean(dims)
            var = x.var(dims, unbiased=True)
        saved[norm] = (norm.running_mean.clone(), norm.running_var.clone(),
                       ((mean[:split].mean(0), var[:split].mean(0)),
                        (mean[split:].mean(0), var[split:].mean(0))))

    def after(norm, args, output):
        running_mean, running_var, calls = saved.pop(norm)
        momentum = norm.momentum if norm.momentum is not None else 0.0
        with torch.no_grad():
            for mean, var in calls:
                running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
                running_var.mul_(1 - momentum).add_(var, alpha=momentum)
            norm.running_mean.copy_(running_mean)
            norm.running_var.copy_(running_var)

    handles = []
    for norm in norms:
        handles.append(norm.register_forward_pre_hook(before))
        handles.append(norm.register_forward_hook(after))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def predict_pair(discriminator, first, second):
    """``(predict(D, first), predict(D, second))``, in one call when that
    computes the same.

    Per-sample discriminators (see :func:`_per_sample`) run once on the
    concatenated batch, which costs less than two calls (the convolutions
    run on larger batches), with the instance norms' running statistics
    updated as by two calls in this order. Others are called twice.
    """
    if first.shape != second.shape or not _per_sample(discriminator):
        return predict(discriminator, first), predict(discriminator, second)
    split = len(first)
    with _running_stats_as_two_calls(discriminator, split):
        preds = predict(discriminator, torch.cat([first, second]))
    return [p[:split] for p in preds], [p[split:] for p in preds]


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
