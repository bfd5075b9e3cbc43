"""The interface between a GAN model, its discriminator and its adversarial
loss."""
from contextlib import contextmanager
from functools import partial

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


def _norm_with_split_stats(norm, split, x):
    """``norm(x)`` (an instance norm in train mode), with its running
    statistics updated as by a call on ``x[:split]`` then one on
    ``x[split:]``.

    The output is what ``F.instance_norm`` computes: it runs the same
    ``native_batch_norm`` on the ``(1, N * C, H, W)`` view, here without
    running statistics, so that the per-image means and inverse standard
    deviations it returns can be reused for the update instead of
    recomputing the mean and variance of every map (two more passes over
    the activations). The unbiased variance is recovered in float64 from
    ``invstd = 1 / sqrt(var + eps)``: within float32 rounding of
    ``x.var(unbiased=True)`` whenever the variance is not far below ``eps``
    (and then the running variance is off by ~1e-7 * eps at most).
    """
    n, c = x.shape[:2]
    weight, bias = norm.weight, norm.bias
    if weight is not None:
        weight, bias = weight.repeat(n), bias.repeat(n)
    out, mean, invstd = torch.native_batch_norm(
        x.contiguous().view(1, n * c, *x.shape[2:]), weight, bias, None,
        None, True, 0.0, norm.eps)
    count = x[0, 0].numel()
    momentum = norm.momentum if norm.momentum is not None else 0.0
    with torch.no_grad():
        var = (invstd.double().pow(-2) - norm.eps).clamp_(min=0)
        var = (var * (count / max(count - 1, 1))).view(n, c)
        mean = mean.double().view(n, c)
        running_mean = norm.running_mean.double()
        running_var = norm.running_var.double()
        for part in (slice(0, split), slice(split, None)):
            running_mean.mul_(1 - momentum).add_(
                mean[part].mean(0), alpha=momentum)
            running_var.mul_(1 - momentum).add_(
                var[part].mean(0), alpha=momentum)
        norm.running_mean.copy_(running_mean)
        norm.running_var.copy_(running_var)
    return out.view_as(x)


@contextmanager
def _running_stats_as_two_calls(discriminator, split):
    """Make a call on ``cat([first, second])`` (``split`` images first)
    update the instance norms' running statistics as a call on ``first``
    then one on ``second`` would.

    The running statistics are never used in training (a discriminator is
    only run in train mode) but are saved in checkpoints; this keeps them
    what the unbatched iteration computes. Each such norm runs
    :func:`_norm_with_split_stats` for the duration (an instance attribute
    ``forward``, removed on exit).
    """
    norms = [
        m for m in discriminator.modules()
        if isinstance(m, _InstanceNorm) and m.track_running_stats
        and m.training
    ]
    saved = [vars(norm).get('forward') for norm in norms]
    for norm in norms:
        norm.forward = partial(_norm_with_split_stats, norm, split)
    try:
        yield
    finally:
        for norm, forward in zip(norms, saved):
            del norm.forward
            if forward is not None:
                norm.forward = forward


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
