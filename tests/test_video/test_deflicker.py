"""BrightnessStabilizer: the model's per-channel brightness correction is
smoothed across frames, and nothing else of the frames changes."""
import sys

import numpy as np
import pytest
from conftest import REPO

from deblurkit.video import BrightnessStabilizer, run_pipeline

sys.path.insert(0, f'{REPO}/tools/analysis_tools')
from temporal_flicker import ArraySink, ArraySource  # noqa: E402


def frames(n, shape=(24, 32, 3), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(30, 220, shape, dtype=np.uint8) for _ in range(n)]


def corrections(outputs, inputs):
    """Per frame and channel: mean(output) - mean(input)."""
    def means(f):
        return f.reshape(-1, 1 if f.ndim == 2 else f.shape[2]).mean(0)

    return np.array([means(o) - means(i) for o, i in zip(outputs, inputs)])


def pumping(inputs, offsets):
    """A "model" that adds ``offsets[t]`` (per channel) to frame ``t``."""
    return [(i.astype(np.int16) + np.asarray(o, np.int16)).astype(np.uint8)
            for i, o in zip(inputs, offsets)]


def test_the_correction_becomes_its_moving_average():
    inputs = frames(6)
    offsets = [(2, -1, 0), (-1, 2, 0), (2, -1, 3), (-1, 2, 3), (2, -1, 3),
               (-1, 2, 3)]
    outputs = pumping(inputs, offsets)
    stabilised = BrightnessStabilizer(0.25)(inputs, outputs)
    expected, average = [], None
    for c in np.array(offsets, float):
        average = c if average is None else average + 0.25 * (c - average)
        expected.append(average)
    got = corrections(stabilised, inputs)
    # Exact up to the 1/256-level resolution of the dithering.
    np.testing.assert_allclose(got, expected, atol=1 / 256 + 1e-9)
    # The frame-to-frame change of the correction (the flicker the model
    # adds) is smaller: here 3x; the first frame is kept as it is.
    assert (np.abs(np.diff(got, axis=0)).mean() <
            np.abs(np.diff(np.array(offsets, float), axis=0)).mean() / 2.5)
    np.testing.assert_array_equal(stabilised[0], outputs[0])


def test_each_pixel_moves_by_its_channels_shift_rounded_down_or_up():
    inputs = frames(2)
    outputs = pumping(inputs, [(0, 0, 0), (4, -4, 1)])
    second = BrightnessStabilizer(0.3)(inputs, outputs)[1]
    shift = 0.3 * np.array([4., -4., 1.]) - np.array([4., -4., 1.])
    change = second.astype(int) - outputs[1]
    for c in range(3):
        assert set(np.unique(change[..., c])) == {
            int(np.floor(shift[c])), int(np.ceil(shift[c]))}
    # No other change: detail and colour balance within the frame stay.
    np.testing.assert_array_equal(
        change - change.mean((0, 1)).round(),
        np.clip(change - change.mean((0, 1)).round(), -1, 1))


def test_grouping_of_frames_into_calls_changes_nothing():
    inputs = frames(5)
    outputs = pumping(inputs, [(3, 0, -2), (0, 1, 0), (2, 2, 2), (-3, 0, 1),
                               (1, -1, 0)])
    whole = BrightnessStabilizer(0.1)(inputs, outputs)
    stabilizer = BrightnessStabilizer(0.1)
    parts = stabilizer(inputs[:2], outputs[:2]) + stabilizer(
        inputs[2:], outputs[2:])
    for a, b in zip(whole, parts):
        np.testing.assert_array_equal(a, b)


def test_a_scene_cut_restarts_the_average_and_momentum_1_is_no_change():
    inputs = frames(4)
    outputs = pumping(inputs, [(0, 0, 0), (0, 0, 0), (5, 5, 5), (5, 5, 5)])
    cut = BrightnessStabilizer(0.1)(inputs, outputs,
                                    [True, False, True, False])
    for a, b in zip(cut, outputs):  # each scene's correction is constant
        np.testing.assert_array_equal(a, b)
    no_cut = BrightnessStabilizer(0.1)(inputs, outputs)
    assert abs(corrections(no_cut, inputs)[2] - 0.5).max() < 1 / 256 + 1e-9
    for a, b in zip(BrightnessStabilizer(1.0)(inputs, outputs), outputs):
        np.testing.assert_array_equal(a, b)


def test_gray_frames_and_clipping():
    inputs = [np.full((8, 8), 250, np.uint8), np.full((8, 8), 250, np.uint8)]
    outputs = [inputs[0] + 0, inputs[1] + 5]  # 255: saturated
    second = BrightnessStabilizer(0.5)(inputs, outputs)[1]
    assert second.shape == (8, 8) and second.dtype == np.uint8
    # Shift -2.5 from 255: half the pixels 253, half 252.
    assert sorted(np.unique(second)) == [252, 253]
    assert abs(second.mean() - 252.5) < 1 / 256


def test_bad_arguments():
    with pytest.raises(ValueError, match='momentum'):
        BrightnessStabilizer(0)
    with pytest.raises(ValueError, match='differ in shape'):
        BrightnessStabilizer()(frames(1), frames(1, (24, 30, 3)))
    with pytest.raises(TypeError, match='uint8'):
        BrightnessStabilizer()([np.zeros((4, 4, 3), np.float32)],
                               [np.zeros((4, 4, 3), np.float32)])


def test_the_pipeline_applies_it_in_brightness_mode_only():
    inputs = frames(6)
    offsets = [(4, 0, 0) if t % 2 else (0, 0, 0) for t in range(6)]

    by_frame = {f.tobytes(): o for f, o in zip(inputs, offsets)}

    def deblur(batch):  # a "model" that pumps: +4 in blue every other frame
        return pumping(batch, [by_frame[b.tobytes()] for b in batch])

    runs = {}
    for mode in ('brightness', 'stats', None):
        sink = ArraySink()
        run_pipeline(deblur, ArraySource(inputs), sink, batch_size=4,
                     temporal=None if mode is None else 0.1,
                     temporal_mode=mode or 'brightness', scene_cut=2.1)
        runs[mode] = corrections(sink.frames, inputs)[:, 0]
    np.testing.assert_allclose(runs[None], [o[0] for o in offsets], atol=1e-9)
    # 'stats' smooths norm layers' statistics; this "model" has none.
    np.testing.assert_array_equal(runs['stats'], runs[None])
    added = np.abs(np.diff(runs['brightness'])).mean()
    assert added < np.abs(np.diff(runs[None])).mean() / 3
    with pytest.raises(ValueError, match='temporal mode must be one of'):
        run_pipeline(deblur, ArraySource(inputs), ArraySink(), temporal=0.1,
                     temporal_mode='contrast')
