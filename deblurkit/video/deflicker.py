"""Temporal stabilisation of the brightness a model adds to each frame.

A deblurring model should keep its input's brightness: blur moves light
around, it does not add or remove it. What a model with per-image
normalisation adds (``mean(output) - mean(input)``, per colour channel) is
small, but it depends on each frame's own statistics, so it can change
from frame to frame and make the output pump where the input did not.

:class:`BrightnessStabilizer` keeps, per channel, an exponential moving
average of that correction across frames (restarting at scene cuts) and
shifts every output frame so that its correction is the average instead
of the frame's own. The input's brightness changes pass through at once
(they are not smoothed, only the model's share is), and the shift is a
constant per channel and frame, so it changes neither detail nor colour
balance within a frame. Frames stay 8-bit: a shift of a fraction of a
grey level is applied by adding one level to that fraction of the pixels,
chosen by a fixed shuffled threshold map (ordered dithering, the same
pixels in every frame, so it adds no temporal noise), so the frame's mean
moves by the shift (to 1/256 of a level).

Compare :class:`~deblurkit.models.layers.temporal_norm.TemporalNormStats`,
which smooths each norm layer's statistics instead: it lags the content of
a moving scene and, measured on the trained demo model, adds flicker
rather than removing it (``docs/benchmarks.md``).
"""
import cv2
import numpy as np


class BrightnessStabilizer:
    """Smooth the per-channel brightness correction of a model over frames.

    Args:
        momentum (float): Weight of each new frame's correction in the
            average, in (0, 1]; 1 leaves every frame as it is.
        seed (int): Seed of the dithering threshold map.

    Call it with consecutive frames, in order, as many per call as wanted
    (the result does not depend on how the frames are grouped).
    """

    def __init__(self, momentum=0.1, seed=0):
        if not 0 < momentum <= 1:
            raise ValueError(f'momentum must be in (0, 1], got {momentum!r}')
        self.momentum = float(momentum)
        self.seed = seed
        self._average = None  # (C,) float64
        self._thresholds = None  # uint8 map of the last frame shape

    def reset(self):
        """Forget the average (the next frame starts a scene)."""
        self._average = None

    def __call__(self, inputs, outputs, resets=None):
        """The stabilised ``outputs``.

        Args:
            inputs, outputs (list[ndarray]): The model's input and output
                frames, uint8, ``(H, W)`` or ``(H, W, C)``, pairwise of one
                shape.
            resets (list[bool], optional): True where a frame starts a new
                scene (its own correction is kept and the average restarts
                from it).

        Returns:
            list[ndarray]: New uint8 frames (the outputs are not modified).
        """
        if resets is None:
            resets = [False] * len(outputs)
        return [
            self._frame(i, o, cut)
            for i, o, cut in zip(inputs, outputs, resets)
        ]

    def _frame(self, image, output, cut):
        if image.shape != output.shape:
            raise ValueError(f'input {image.shape} and output '
                             f'{output.shape} frames differ in shape')
        if output.dtype != np.uint8 or image.dtype != np.uint8:
            raise TypeError('BrightnessStabilizer works on uint8 frames, '
                            f'got {image.dtype} and {output.dtype}')
        correction = _channel_means(output) - _channel_means(image)
        average = self._average
        if cut or average is None or average.shape != correction.shape:
            average = correction
        else:
            average = average + self.momentum * (correction - average)
        self._average = average
        return self._shift(output, average - correction)

    def _threshold_map(self, shape):
        thresholds = self._thresholds
        if thresholds is None or thresholds.shape != shape:
            # Every level 0..255 equally often in each channel (a shuffled
            # ramp), so the share of pixels below a threshold is exact.
            rng = np.random.default_rng(self.seed)
            height, width, channels = shape
            pixels = height * width
            thresholds = np.stack([
                rng.permutation(pixels) * 256 // pixels
                for _ in range(channels)
            ], axis=-1).astype(np.uint8).reshape(shape)
            self._thresholds = thresholds
        return thresholds

    def _shift(self, frame, shift):
        """``frame`` plus ``shift[c]`` grey levels in channel ``c``: each
        pixel moves by whole levels, their mean is the shift (to 1/256 of a
        level, up to clipping at 0 and 255)."""
        planar = frame.reshape(frame.shape[0], frame.shape[1], -1)
        # 1/256ths of a level, split by sign into what is added and what is
        # subtracted (saturating, so clipping is exact).
        steps = np.rint(shift * 256).astype(np.int64)
        result = planar
        for sign, op in ((1, cv2.add), (-1, cv2.subtract)):
            amount = np.maximum(sign * steps, 0)
            if not amount.any():
                continue
            whole, fraction = amount // 256, (amount % 256).astype(np.uint8)
            delta = (self._threshold_map(planar.shape) < fraction).view(
                np.uint8)
            if whole.any():
                delta = delta + whole.astype(np.uint8)
            result = op(result, delta).reshape(planar.shape)
        if result is planar:
            result = planar.copy()
        return result.reshape(frame.shape)


def _channel_means(frame):
    """Per-channel means of an ``(H, W)`` or ``(H, W, C)`` uint8 frame."""
    channels = 1 if frame.ndim == 2 else frame.shape[2]
    if channels <= 4:
        return np.array(cv2.mean(frame)[:channels])
    return frame.reshape(-1, channels).mean(0)
