"""Per-image normalisation statistics smoothed across the frames of a video.

In ``'per_image'`` mode every norm layer normalises a frame by that frame's
own mean and variance, so small changes of content between frames change
the output's brightness and contrast: the output flickers. A
:class:`TemporalNormStats` replaces, layer by layer, each frame's statistics
by an exponential moving average over the frames so far (reset at scene
cuts), so the normalisation follows the content slowly.

It is one hook for both inference paths: while a provider is active
(:func:`temporal_norm_stats`), the per-image branch of
:class:`~deblurkit.models.layers.norm.NormStatsMixin` and the per-image
kernels of the fast path (:mod:`deblurkit.models.generators.fast.layers`)
hand their ``(N, C)`` statistics to :func:`smooth_stats` and normalise with
what it returns. Without a provider nothing changes.

Batches give the same result as frame-by-frame runs: a layer's statistics
for frame ``t`` depend only on the earlier layers of frame ``t`` and on the
layer's own average up to frame ``t - 1``, so the rows of a batch are
averaged in order, whether they come as one ``(N, C)`` call or as ``N``
calls of one row (the CPU fast path runs a batch image by image).
"""
import contextlib
import contextvars

import torch

_ACTIVE = contextvars.ContextVar('deblurkit_temporal_norm_stats',
                                 default=None)


class TemporalNormStats:
    """Exponential moving averages of every norm layer's statistics.

    Args:
        momentum (float): Weight of the new frame, in (0, 1]: the average
            becomes ``(1 - momentum) * average + momentum * frame``; 1 is no
            smoothing.

    Use :meth:`begin_batch` before each forward pass with one flag per frame
    of the batch, True where a new scene starts (the averages restart from
    that frame's own statistics).
    """

    def __init__(self, momentum=0.1):
        if not 0 < momentum <= 1:
            raise ValueError(f'momentum must be in (0, 1], got {momentum!r}')
        self.momentum = float(momentum)
        self._state = {}  # layer -> (mean, var), each (C,) float32
        self._resets = ()
        self._rows = {}  # layer -> rows of the current batch consumed

    def reset(self):
        """Forget every average (the next frame starts a scene)."""
        self._state.clear()

    def begin_batch(self, resets):
        """Start a forward pass over frames; ``resets[i]`` marks a cut."""
        self._resets = tuple(bool(r) for r in resets)
        self._rows = {}

    def smooth(self, key, mean, var):
        """The smoothed ``(mean, var)`` of layer ``key``.

        Args:
            key (object): The layer (any hashable, stable across frames).
            mean, var (Tensor): ``(N, C)`` statistics of ``N`` consecutive
                frames.

        Returns:
            tuple[Tensor, Tensor]: ``(N, C)``, in the dtype of ``mean``.
        """
        first = self._rows.get(key, 0)
        self._rows[key] = first + mean.shape[0]
        state = self._state.get(key)
        means, variances = [], []
        for row in range(mean.shape[0]):
            m, v = mean[row].float(), var[row].float()
            frame = first + row
            cut = frame < len(self._resets) and self._resets[frame]
            if state is not None and not cut and state[0].shape == m.shape:
                a = self.momentum
                m = torch.lerp(state[0], m, a)
                v = torch.lerp(state[1], v, a)
            state = (m, v)
            means.append(m)
            variances.append(v)
        self._state[key] = state
        return (torch.stack(means).to(mean.dtype),
                torch.stack(variances).to(var.dtype))


def active_provider():
    """The active :class:`TemporalNormStats`, or None."""
    return _ACTIVE.get()


def smooth_stats(key, mean, var):
    """``(mean, var)`` smoothed by the active provider (as given if none).

    ``mean`` and ``var`` are ``(N, C)`` or, for one image, ``(C,)``.
    """
    provider = _ACTIVE.get()
    if provider is None:
        return mean, var
    if mean.dim() == 1:
        m, v = provider.smooth(key, mean[None], var[None])
        return m[0], v[0]
    return provider.smooth(key, mean, var)


@contextlib.contextmanager
def temporal_norm_stats(provider):
    """Make ``provider`` (a :class:`TemporalNormStats` or None) the one
    that per-image norms consult in this thread, for the ``with`` block."""
    token = _ACTIVE.set(provider)
    try:
        yield provider
    finally:
        _ACTIVE.reset(token)
