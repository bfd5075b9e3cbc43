"""tools/analysis_tools/video_benchmark.py: interleaved rounds, the fixed
part split off, and weights whose output is their input."""
import json
import os.path as osp
import sys

import numpy as np
from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import video_benchmark  # noqa: E402
from _video_common import load_model  # noqa: E402

from deblurkit.apis import deblur_images  # noqa: E402

TINY_CONFIG = osp.join(REPO, 'tests', 'data', 'configs',
                       'deblurganv2_tiny.py')


def test_identity_weights_output_their_input():
    frames = video_benchmark.clip_frames(3, (64, 96))
    assert len(frames) == 3 and frames[0].shape == (64, 96, 3)
    # footage-like: a pan (the frames differ) of textured content
    assert not np.array_equal(frames[0], frames[1])
    assert frames[0].std() > 10
    identity = load_model(TINY_CONFIG, cfg_options={
        'model.generator.head.zero_init_residual': True})
    assert all(np.array_equal(o, f) for o, f in
               zip(deblur_images(identity, frames), frames))
    random = load_model(TINY_CONFIG)
    assert not np.array_equal(deblur_images(random, frames[:1])[0],
                              frames[0])


def test_rounds_and_the_fixed_part_are_reported(tmp_path):
    out = tmp_path / 'video.json'
    assert video_benchmark.main([
        TINY_CONFIG, '--size', '64', '64', '--frames', '3', '--rounds', '2',
        '--out', str(out)]) == 0
    result = json.loads(out.read_text())
    assert result['rounds'] == 2 and result['weights'] == 'identity'
    assert len(result['model_seconds']) == len(
        result['end_to_end_seconds']) == len(result['overhead_rounds']) == 2
    # The median of two rounds is their mean (the per-round overheads are
    # rounded to 4 decimals). Each round's overhead is end-to-end / model
    # time - 1, up to the rounding of the seconds to 3 decimals. (Which of
    # the two is longer is not asserted: on millisecond rounds either can
    # be.)
    assert abs(result['overhead'] -
               sum(result['overhead_rounds']) / 2) < 1e-4
    for overhead, m, v in zip(result['overhead_rounds'],
                              result['model_seconds'],
                              result['end_to_end_seconds']):
        slack = 5e-4 * (1 / m + v / m**2) + 1e-4
        assert abs(overhead - (v / m - 1)) <= slack
    assert 0 <= result['fixed_seconds'] < max(result['end_to_end_seconds'])
    assert result['overhead_streaming'] <= result['overhead']
    assert result['frames_written'] == 3
