"""tools/analysis_tools/temporal_flicker.py on a tiny model."""
import json
import math
import sys

from conftest import REPO

sys.path.insert(0, f'{REPO}/tools/analysis_tools')
import temporal_flicker as tool  # noqa: E402

TINY = f'{REPO}/tests/data/configs/deblurganv2_tiny.py'


def run(tmp_path, norm_stats, mode='stats', frames=5):
    out = tmp_path / f'{norm_stats}-{mode}.json'
    assert tool.main([
        TINY, '--frames', str(frames), '--size', '32', '48', '--batch-size',
        '2', '--norm-stats', norm_stats, '--mode', mode, '--out', str(out)
    ]) in (0, None)
    return json.loads(out.read_text())


def test_stats_mode_acts_on_per_image_statistics_only(tmp_path):
    per_image, running = run(tmp_path, 'per_image'), run(tmp_path, 'running')
    for result in (per_image, running):
        assert result['frames'] == 5
        assert result['flicker_input'] > 0
        assert all(math.isfinite(result[k]) for k in (
            'flicker_plain', 'flicker_smoothed', 'psnr_plain',
            'psnr_smoothed'))
    assert per_image['norm_stats'] == 'per_image'
    # Running statistics: nothing is normalised per frame, so the smoothed
    # run is the plain one.
    assert running['flicker_smoothed'] == running['flicker_plain']
    assert running['psnr_smoothed'] == running['psnr_plain']
    # Per-image statistics: smoothing them changes the output.
    assert per_image['flicker_smoothed'] != per_image['flicker_plain']
    # The model is the same in both modes: the inputs' figures agree.
    assert per_image['flicker_input'] == running['flicker_input']


def test_brightness_mode_smooths_the_brightness_the_model_adds(tmp_path):
    # A random tiny model's correction of each frame's brightness jumps
    # from frame to frame; the stabiliser smooths it, whatever the norm.
    for norm_stats in ('per_image', 'running'):
        result = run(tmp_path, norm_stats, 'brightness', frames=8)
        assert result['mode'] == 'brightness'
        assert result['added_flicker_plain'] > 0.005
        assert result['added_flicker_ratio'] < 0.5
        assert abs(result['psnr_smoothed'] - result['psnr_plain']) < 0.1


def test_added_flicker_is_the_flicker_of_the_models_correction():
    import numpy as np
    inputs = [np.full((4, 4, 3), v, np.uint8) for v in (10, 50, 20)]
    # Output brightness that follows the input's: the model adds nothing,
    # however much the scene's own brightness changes.
    follows = [f + 5 for f in inputs]
    assert tool.flicker(follows) == tool.flicker(inputs) == 35.0
    assert tool.added_flicker(follows, inputs) == 0.0
    # A correction of +5, -3, +5: it changes by 8 twice.
    pumping = [inputs[0] + 5, inputs[1] - 3, inputs[2] + 5]
    assert tool.added_flicker(pumping, inputs) == 8.0


def test_the_occluder_crosses_the_frame_and_only_it_changes_the_pan():
    pan_sharp, _ = tool.panning_video(6, (32, 48), 4, 3)
    occ_sharp, occ_blur = tool.panning_video(6, (32, 48), 4, 3,
                                             scene='occluder')
    assert len(occ_sharp) == len(occ_blur) == 6
    changed = [(a != b).any(axis=2).mean()
               for a, b in zip(pan_sharp, occ_sharp)]
    # Enters from the left edge (barely visible at first), covers a large
    # part of the frame midway, leaves at the right.
    assert changed[0] < 0.05 and changed[-1] < 0.05
    assert max(changed) > 0.3
    assert tool.flicker(occ_sharp) > 2 * tool.flicker(pan_sharp)


def test_noise_is_added_to_the_blurred_frames_only():
    import numpy as np
    sharp, clean = tool.panning_video(3, (32, 48), 4, 3)
    noisy_sharp, noisy = tool.panning_video(3, (32, 48), 4, 3, noise=4.0)
    for a, b in zip(sharp, noisy_sharp):
        np.testing.assert_array_equal(a, b)
    residual = np.concatenate([(n.astype(float) - c).ravel()
                               for n, c in zip(noisy, clean)])
    assert 3.5 < residual.std() < 4.5 and abs(residual.mean()) < 0.3
