import numpy as np
import pytest

from deblurkit.synthesis import dead_leaves_image


def power_spectrum_slope(img):
    """alpha of a 1/f**alpha fit to the radially averaged power spectrum."""
    gray = img.mean(axis=2)
    gray = gray - gray.mean()
    h, w = gray.shape
    window = np.hanning(h)[:, None] * np.hanning(w)[None, :]
    power = np.abs(np.fft.fft2(gray * window))**2
    freq = np.hypot(*np.meshgrid(np.fft.fftfreq(w), np.fft.fftfreq(h)))
    edges = np.logspace(np.log10(0.02), np.log10(0.35), 12)
    bins = np.digitize(freq, edges)
    log_f, log_p = [], []
    for b in range(1, len(edges)):
        sel = bins == b
        log_f.append(np.log(freq[sel].mean()))
        log_p.append(np.log(power[sel].mean()))
    return -np.polyfit(log_f, log_p, 1)[0]


def test_shape_dtype_and_rectangular_size():
    img = dead_leaves_image((48, 80), np.random.default_rng(0))
    assert img.shape == (48, 80, 3)
    assert img.dtype == np.float32
    assert 0.0 <= img.min() and img.max() <= 1.0


def test_same_seed_same_image_other_seed_other_image():
    a = dead_leaves_image((64, 64), np.random.default_rng(7))
    b = dead_leaves_image((64, 64), np.random.default_rng(7))
    c = dead_leaves_image((64, 64), np.random.default_rng(8))
    assert a.tobytes() == b.tobytes()
    assert np.abs(a - c).mean() > 0.05


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_power_spectrum_falls_like_natural_images(seed):
    img = dead_leaves_image((128, 128), np.random.default_rng(seed))
    # Natural images: power ~ 1/f**2; white noise would give 0, a
    # blurry image well above 3.
    assert 1.5 <= power_spectrum_slope(img) <= 3.0


def test_uses_full_value_range_and_colour():
    for seed in range(4):
        img = dead_leaves_image((96, 96), np.random.default_rng(seed))
        low, high = np.percentile(img, (0.5, 99.5))
        assert low <= 0.06 and high >= 0.94
        # Many distinct levels (edges, gradients, textures), not a few flat
        # colours.
        assert len(np.unique(np.round(img * 255))) > 150
        # Some colour, but not garish: channels differ moderately.
        chroma = np.abs(img - img.mean(axis=2, keepdims=True)).mean()
        assert 0.005 < chroma < 0.25


def test_has_edges_at_many_scales():
    img = dead_leaves_image((128, 128), np.random.default_rng(3)).mean(2)
    # Gradient energy survives downscaling by 2 and 4: structure at
    # several scales, not only pixel-level texture.
    for factor in (1, 2, 4):
        small = img.reshape(128 // factor, factor, 128 // factor,
                            factor).mean(axis=(1, 3))
        grad = np.abs(np.diff(small, axis=1)).mean()
        assert grad > 0.02, factor


def test_bad_size_is_reported():
    with pytest.raises(ValueError, match='size'):
        dead_leaves_image((0, 10), np.random.default_rng(0))
