"""Labels, zoomed crops and side-by-side pairs."""
import numpy as np
import pytest

from deblurkit.apis.inference import side_by_side
from deblurkit.video.pipeline import join_side_by_side
from deblurkit.visualization import (detail_box, draw_box, draw_label,
                                     labelled_pair, zoom)


@pytest.mark.parametrize('dtype,top', [(np.uint8, 255), (np.uint16, 65535),
                                       (np.float32, 1.0)])
@pytest.mark.parametrize('channels', [None, 3, 4])
def test_label_is_white_text_on_a_dark_box(dtype, top, channels):
    shape = (60, 90) if channels is None else (60, 90, channels)
    img = np.full(shape, top / 2, dtype)
    draw_label(img, 'blurred')
    box = img[:14, :30].reshape(14, 30, -1)
    colour = box[..., :3] if box.shape[-1] >= 3 else box
    assert (colour >= 0.75 * top).all(axis=-1).sum() >= 10  # the text
    assert (colour < top / 2).all(axis=-1).sum() >= 150  # the box
    if channels == 4:
        assert (box[..., 3] == top).all()
    below = img[30:].reshape(30, 90, -1)
    assert (below == dtype(top / 2)).all()  # nothing outside the box


def test_label_bigger_on_bigger_images():

    def box_height(size):
        img = np.full((size, size, 3), 128, np.uint8)
        draw_label(img, 'deblurred')
        return int((img[:, 0, 0] < 128).sum())

    assert box_height(1000) > 2 * box_height(100)


@pytest.mark.parametrize('turns', [0, 1, 2, 3])
def test_pair_labels_upright_for_the_viewer(turns):
    left = np.full((40, 70, 3), 200, np.uint8)
    right = np.full((40, 70, 3), 100, np.uint8)
    axis = 0 if turns % 2 else 1
    joined = labelled_pair(left, right, ('a', 'b'), axis=axis, turns=turns)
    assert (left == 200).all() and (right == 100).all()  # not modified
    halves = np.split(joined, 2, axis=axis)
    for half, value in zip(halves, (200, 100)):
        shown = np.rot90(half, turns)  # as the display turns it
        assert shown[:4, :4].max() < value  # the box: top-left for the eye
        assert (shown[-10:, -10:] == value).all()


def test_side_by_side_is_labelled_unless_asked_not_to():
    a = np.full((50, 60, 3), 90, np.uint8)
    b = np.full((50, 60, 3), 160, np.uint8)
    plain = side_by_side(a, b, labels=None)
    np.testing.assert_array_equal(plain, np.concatenate([a, b], axis=1))
    labelled = side_by_side(a, b)
    assert labelled.shape == plain.shape
    assert not np.array_equal(labelled[:12, :30], plain[:12, :30])
    assert not np.array_equal(labelled[:12, 60:90], plain[:12, 60:90])
    np.testing.assert_array_equal(labelled[25:], plain[25:])
    # Video frames: the same, stacked when the display turns them.
    frame = join_side_by_side(a, b, rotation=90)
    assert frame.shape == (100, 60, 3)
    np.testing.assert_array_equal(
        join_side_by_side(a, b, labels=None), plain)


def test_detail_box_finds_the_textured_patch():
    img = np.zeros((80, 100), np.uint8)
    img[40:60, 10:30] = np.random.default_rng(0).integers(0, 255, (20, 20))
    x, y = detail_box(img, 20)
    # (Sobel also answers at the patch's edge: a pixel either way.)
    assert abs(x - 10) <= 1 and abs(y - 40) <= 1
    assert detail_box(img, 500) == (0, 0)  # bigger than the image


def test_zoom_and_box():
    img = np.arange(16, dtype=np.uint8).reshape(4, 4)
    np.testing.assert_array_equal(
        zoom(img, 1, 2, 2, 4),
        np.repeat(np.repeat(img[2:4, 1:3], 2, 0), 2, 1))
    canvas = np.zeros((10, 10, 3), np.uint8)
    draw_box(canvas, 2, 3, 4, (255, 0, 0))
    assert (canvas[3, 2:6, 0] == 255).all() and canvas[4, 3, 0] == 0
