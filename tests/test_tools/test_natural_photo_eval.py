"""tools/analysis_tools/natural_photo_eval.py: the held-out blur and the
measurement on photographs, with the tiny checkpoint."""
import json

import cv2
import numpy as np
from conftest import TINY_CONFIG

from deblurkit.evaluation import calculate_psnr
from tools.analysis_tools import natural_photo_eval as tool


def photo(seed, size=(96, 128)):
    """A colour picture of blocks and rectangles, as a stand-in photo."""
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.random((size[0] // 4, size[1] // 4, 3)),
                     size[::-1],
                     interpolation=cv2.INTER_NEAREST)
    for _ in range(8):
        x, y = rng.integers(0, size[1] - 16), rng.integers(0, size[0] - 16)
        cv2.rectangle(img, (int(x), int(y)), (int(x) + 12, int(y) + 9),
                      rng.random(3).tolist(), -1)
    return np.clip(img, 0, 1).astype(np.float32)


def test_heldout_blur_is_seeded_blurs_and_keeps_brightness():
    sharp = photo(0)
    a = tool.heldout_blur(sharp, np.random.default_rng([0, 1]))
    b = tool.heldout_blur(sharp, np.random.default_rng([0, 1]))
    c = tool.heldout_blur(sharp, np.random.default_rng([0, 2]))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == sharp.shape and a.dtype == np.float32
    # 8-bit values, stored as JPEG.
    np.testing.assert_allclose(a * 255, np.round(a * 255), atol=1e-4)
    clean = tool.heldout_blur(sharp,
                              np.random.default_rng([0, 1]),
                              8.0,
                              8.0,
                              noise=(0, 0),
                              read_noise=(0, 0),
                              jpeg_quality=None)
    edges = [
        np.abs(cv2.Laplacian(i.mean(axis=2), cv2.CV_32F)).mean()
        for i in (sharp, clean)
    ]
    assert edges[1] < 0.6 * edges[0]
    # Blurring moves light around without adding or removing any.
    from deblurkit.synthesis import srgb_to_linear
    assert abs(srgb_to_linear(clean).mean() -
               srgb_to_linear(sharp).mean()) < 3e-3
    # Longer paths blur more.
    short = tool.heldout_blur(sharp,
                              np.random.default_rng(3),
                              1.0,
                              1.0,
                              jpeg_quality=None)
    long = tool.heldout_blur(sharp,
                             np.random.default_rng(3),
                             12.0,
                             12.0,
                             jpeg_quality=None)
    assert calculate_psnr(short * 255, sharp * 255) > \
        calculate_psnr(long * 255, sharp * 255) + 3


def test_measures_each_photo_and_writes_the_grid(tmp_path, tiny_checkpoint,
                                                 capsys):
    photos = tmp_path / 'photos'
    photos.mkdir()
    for i in range(2):
        cv2.imwrite(str(photos / f'p{i}.png'),
                    np.round(photo(i)[..., ::-1] * 255).astype(np.uint8))
    cv2.imwrite(str(photos / 'grey.png'), np.full((96, 96), 128, np.uint8))
    out = tmp_path / 'out'
    assert tool.main([
        TINY_CONFIG, tiny_checkpoint, '--photos',
        str(photos), '--out',
        str(out), '--max-side', '100'
    ]) == 0
    report = json.loads((out / 'natural_eval.json').read_text())
    assert [r['image'] for r in report['images']] == ['p0.png', 'p1.png']
    for r in report['images']:
        assert r['size'] == [75, 100]  # scaled to --max-side
        assert abs(r['gain'] - (r['psnr_deblurred'] - r['psnr_blurred'])) \
            < 2e-3
        assert 8 < r['psnr_blurred'] < 40
    assert report['mean_gain'] == np.mean(
        [r['gain'] for r in report['images']])
    grid = cv2.imread(str(out / 'natural_grid.png'))
    import demo  # the grid layout of tools/demo.py
    t, g = demo.TILE, demo.GAP
    assert grid.shape == (demo.HEADER + 2 * t + g, 6 * t + 5 * g, 3)
    assert 'mean' in capsys.readouterr().out


def test_bad_photo_folder_is_one_line(tmp_path, tiny_checkpoint, capsys):
    missing = tmp_path / 'nowhere'
    assert tool.main([TINY_CONFIG, tiny_checkpoint, '--photos',
                      str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and '--photos' in err and 'nowhere' in err
    (tmp_path / 'empty').mkdir()
    assert tool.main(
        [TINY_CONFIG, tiny_checkpoint, '--photos',
         str(tmp_path / 'empty')]) == 2
    assert 'no JPEG or PNG' in capsys.readouterr().err
