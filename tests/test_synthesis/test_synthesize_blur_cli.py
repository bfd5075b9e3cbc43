import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'synthesize_blur.py')


@pytest.fixture(scope='module')
def cli():
    spec = importlib.util.spec_from_file_location('synthesize_blur', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def run(cli, capsys, *args):
    code = cli([*map(str, args), '--no-progress', '--workers', '1'])
    out, err = capsys.readouterr()
    assert 'Traceback' not in err
    return code, out, err


def test_writes_the_gopro_layout(cli, capsys, tmp_path):
    out = tmp_path / 'synth'
    code, stdout, _ = run(cli, capsys, '--out', out, '--num-train', 5,
                          '--num-test', 3, '--size', 24, 32, '--seed', 1,
                          '--per-sequence', 2, '--blur', 'kernel',
                          '--jpeg', 70, '--noise', 'off')
    assert code == 0
    assert 'wrote 5 train and 3 test pairs' in stdout
    # .deblurkit-outputs: the manifest of what was written (--overwrite
    # removes only what it lists).
    assert sorted(os.listdir(out)) == [
        '.deblurkit-outputs', 'synthesis.json', 'test', 'train'
    ]
    assert sorted(os.listdir(out / 'train')) == [
        'seq_000', 'seq_001', 'seq_002'
    ]
    for split, count in (('train', 5), ('test', 3)):
        blurs = sorted(
            str(p.relative_to(out / split))
            for p in (out / split).glob('*/blur/*.png'))
        sharps = sorted(
            str(p.relative_to(out / split))
            for p in (out / split).glob('*/sharp/*.png'))
        assert len(blurs) == count
        assert [b.replace('blur', 'sharp') for b in blurs] == sharps
    assert cv2.imread(str(out / 'test' / 'seq_001' / 'blur' /
                          '000000.png')).shape == (24, 32, 3)
    manifest = json.loads((out / 'synthesis.json').read_text())
    assert manifest['settings']['blur'] == 'kernel'
    assert manifest['settings']['jpeg_quality'] == 70
    assert manifest['settings']['noise'] == 0


def test_no_readable_images_in_sharp_dir(cli, capsys, tmp_path):
    photos = tmp_path / 'photos'
    photos.mkdir()
    (photos / 'broken.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    (photos / 'notes.txt').write_text('hello')
    code, _, err = run(cli, capsys, '--out', tmp_path / 'o', '--sharp-dir',
                       photos, '--num-train', 2, '--num-test', 0)
    assert code != 0
    assert 'error:' in err and str(photos) in err and '--sharp-dir' in err
    assert 'broken.jpg' in err  # the warning names the skipped file
    assert not (tmp_path / 'o').exists()


def test_images_smaller_than_size(cli, capsys, tmp_path):
    photos = tmp_path / 'photos'
    photos.mkdir()
    cv2.imwrite(str(photos / 'tiny.png'), np.zeros((20, 30, 3), np.uint8))
    code, _, err = run(cli, capsys, '--out', tmp_path / 'o', '--sharp-dir',
                       photos, '--size', 64, 64, '--num-train', 2)
    assert code != 0
    assert str(photos) in err and '64x64' in err and '--size' in err


def test_non_empty_output_needs_overwrite(cli, capsys, tmp_path):
    out = tmp_path / 'o'
    out.mkdir()
    (out / 'old.txt').write_text('x')
    args = ('--out', out, '--num-train', 2, '--num-test', 1, '--size', 16,
            16)
    code, _, err = run(cli, capsys, *args)
    assert code != 0
    assert str(out) in err and '--overwrite' in err
    assert sorted(os.listdir(out)) == ['old.txt']
    code, _, err = run(cli, capsys, *args, '--overwrite')
    assert code == 0
    assert len(list(out.glob('train/*/blur/*.png'))) == 2


def test_usage_errors_exit_non_zero(cli, capsys, tmp_path):
    assert run(cli, capsys, '--out', tmp_path, '--blur', 'box')[0] == 2
    assert run(cli, capsys, '--out', tmp_path, '--jpeg', 'high')[0] == 2
    code, _, err = run(cli, capsys, '--out', tmp_path / 'o', '--num-train',
                       -1)
    assert code != 0 and '--num-train' in err
    assert run(cli, capsys, '--help')[0] == 0


def test_camera_model_flags_reach_the_settings_and_manifest(cli, capsys,
                                                            tmp_path):
    out = tmp_path / 'camera'
    code, _, _ = run(cli, capsys, '--out', out, '--num-train', 2,
                     '--num-test', 1, '--size', 24, 24, '--random-centre',
                     '--linear-noise', '--tone', 0.2, '--max-rotation', 5,
                     '--leaf-power', 2.2, 2.9, '--surface-grain', 0.5,
                     '--still-prob', 0.25, '--lens-sigma', 0.8)
    assert code == 0
    manifest = json.loads((out / 'synthesis.json').read_text())
    settings = manifest['settings']
    assert settings['random_centre'] and settings['linear_noise']
    assert settings['tone'] == 0.2 and settings['max_rotation_px'] == 5
    assert settings['still_prob'] == 0.25 and settings['lens_sigma'] == 0.8
    assert manifest['dead_leaves'] == dict(power=[2.2, 2.9],
                                           surface_prob=0.5)
    code, _, err = run(cli, capsys, '--out', tmp_path / 'bad',
                       '--num-train', 1, '--num-test', 0, '--surface-grain',
                       2)
    assert code == 2 and '--surface-grain' in err
    assert not (tmp_path / 'bad').exists()
    code, _, err = run(cli, capsys, '--out', tmp_path / 'bad', '--num-train',
                       1, '--num-test', 0, '--still-prob', 1.5)
    assert code == 2 and 'still_prob' in err
    assert not (tmp_path / 'bad').exists()
    code, _, err = run(cli, capsys, '--out', tmp_path / 'bad', '--num-train',
                       1, '--num-test', 0, '--lens-sigma', -1)
    assert code == 2 and 'lens_sigma' in err and err.count('\n') == 1
    assert not (tmp_path / 'bad').exists()
