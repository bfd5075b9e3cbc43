"""Tiled inference: tile layout, blending weights and agreement with the
whole-image output."""
import copy

import cv2
import numpy as np
import pytest
import torch.nn as nn

from deblurkit.apis import deblur_image, tile_windows
from tiny_deblur_model import tiny_model, tiny_running_model  # noqa: F401


def smooth_image(height, width, channels=3, seed=0):
    """A smooth random picture with a little noise (uint8 BGR)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, (12, 16, channels), dtype=np.uint8)
    img = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    img = img.reshape(height, width, channels)
    return cv2.add(img, rng.integers(0, 20, img.shape, dtype=np.uint8))


@pytest.mark.parametrize('length, tile, overlap', [(100, 64, 16),
                                                   (200, 64, 32),
                                                   (65, 64, 8), (64, 64, 8),
                                                   (40, 64, 8), (517, 96, 0),
                                                   (333, 70, 69)])
def test_tile_windows_cover_and_sum_to_one(length, tile, overlap):
    windows = tile_windows(length, tile, overlap)
    total = np.zeros(length)
    for start, weight in windows:
        assert len(weight) == min(tile, length)
        assert (weight > 0).all()
        total[start:start + len(weight)] += weight
    np.testing.assert_allclose(total, 1, atol=1e-12)
    starts = [start for start, _ in windows]
    assert starts[0] == 0 and starts[-1] + min(tile, length) == length
    for a, b in zip(starts, starts[1:]):
        assert a + min(tile, length) - b >= overlap - 1  # rounding
    # 2D weights are outer products: they sum to 1 too.
    grid = np.zeros((length, 50))
    for y, wy in windows:
        for x, wx in tile_windows(50, 32, 8):
            grid[y:y + len(wy), x:x + len(wx)] += np.outer(wy, wx)
    np.testing.assert_allclose(grid, 1, atol=1e-12)


def test_tile_weights_ramp_smoothly():
    (_, first), (_, second) = tile_windows(100, 64, 28)
    ramp = second[:28]
    assert np.all(np.diff(ramp) > 0) and ramp[0] < 0.01 and ramp[-1] > 0.99
    assert np.abs(np.diff(ramp)).max() < 0.06  # no step at the seam


@pytest.mark.parametrize('shape, dtype', [((100, 150, 3), np.uint8),
                                          ((100, 150), np.uint8),
                                          ((100, 150, 4), np.uint8),
                                          ((100, 150, 3), np.uint16)])
def test_tiled_output_layout(tiny_model, shape, dtype):
    rng = np.random.default_rng(0)
    img = rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype)
    out = deblur_image(tiny_model, img, tile=64, tile_overlap=16)
    assert out.shape == shape and out.dtype == dtype
    if len(shape) == 3 and shape[2] == 4:
        np.testing.assert_array_equal(out[..., 3], img[..., 3])


def test_tile_at_least_the_image_is_the_whole_image(tiny_model):
    img = smooth_image(40, 56)
    whole = deblur_image(tiny_model, img)
    np.testing.assert_array_equal(
        deblur_image(tiny_model, img, tile=64, tile_overlap=32), whole)
    np.testing.assert_array_equal(
        deblur_image(tiny_model, img, tile=100, tile_overlap=8), whole)


def test_identity_generator_gives_the_image_back(tiny_model):
    # With a generator that changes nothing, any seam or weight error would
    # show up as a difference from the input.
    model = copy.deepcopy(tiny_model)
    model.generator = nn.Identity()
    img = smooth_image(130, 170, seed=3)
    np.testing.assert_array_equal(
        deblur_image(model, img, tile=64, tile_overlap=20), img)


def test_running_statistics_tiles_match_the_whole_image(tiny_running_model):
    # With running statistics the network is convolutional, so tiles differ
    # from the whole image only through borders and stride alignment.
    model = tiny_running_model
    img = smooth_image(128, 192)
    whole = deblur_image(model, img).astype(float)
    tiled = deblur_image(model, img, tile=96, tile_overlap=32).astype(float)
    assert np.abs(tiled - whole).max() <= 2
    assert np.abs(tiled - whole).mean() < 0.05
    assert np.abs(whole - img).mean() > 5  # yet the network changed it
