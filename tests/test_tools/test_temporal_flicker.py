"""tools/analysis_tools/temporal_flicker.py on a tiny model."""
import json
import math
import sys

from conftest import REPO

sys.path.insert(0, f'{REPO}/tools/analysis_tools')
import temporal_flicker as tool  # noqa: E402

TINY = f'{REPO}/tests/data/configs/deblurganv2_tiny.py'


def run(tmp_path, norm_stats):
    out = tmp_path / f'{norm_stats}.json'
    assert tool.main([
        TINY, '--frames', '5', '--size', '32', '48', '--batch-size', '2',
        '--norm-stats', norm_stats, '--out', str(out)
    ]) in (0, None)
    return json.loads(out.read_text())


def test_smoothing_acts_on_per_image_statistics_only(tmp_path):
    per_image, running = run(tmp_path, 'per_image'), run(tmp_path, 'running')
    for result in (per_image, running):
        assert result['frames'] == 5
        assert result['flicker_input'] > 0
        assert all(math.isfinite(result[k]) for k in (
            'flicker_per_image', 'flicker_smoothed', 'psnr_per_image',
            'psnr_smoothed'))
    assert per_image['norm_stats'] == 'per_image'
    # Running statistics: nothing is normalised per frame, so the smoothed
    # run is the plain one.
    assert running['flicker_smoothed'] == running['flicker_per_image']
    assert running['psnr_smoothed'] == running['psnr_per_image']
    # Per-image statistics: smoothing them changes the output.
    assert per_image['flicker_smoothed'] != per_image['flicker_per_image']
    # The model is the same in both modes: the inputs' figures agree.
    assert per_image['flicker_input'] == running['flicker_input']
