"""tools/analysis_tools/eval_report.py on synthetic data in each documented
layout, with a random-weight tiny model."""
import csv
import json
import os.path as osp
import re

import numpy as np
import pytest
import torch
from conftest import (write_blurred_folder, write_dvd_dataset,
                      write_gopro_dataset, write_hide_dataset,
                      write_kohler_dataset, write_realblur_dataset)

from deblurkit.apis import init_model
from deblurkit.datasets import DVD_TEST_VIDEOS
from deblurkit.datasets.image_io import read_image
from deblurkit.evaluation import (align_to_reference, calculate_cw_ssim,
                                  calculate_psnr, calculate_ssim,
                                  kohler_score)
from tools.analysis_tools import eval_report

CONFIG = 'tests/data/configs/deblurganv2_tiny_eval.py'


def read8(path):
    return np.rint(read_image(path)[0].astype(np.float64) * 255)


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """Tiny models on a shared CPU run much faster on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp('report')
    torch.manual_seed(0)
    model = init_model('tests/data/configs/deblurganv2_tiny.py')
    checkpoint = str(base / 'tiny.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    roots = dict(
        gopro=write_gopro_dataset(base / 'gopro', sequences=('s1', ),
                                  images=2, size=(64, 64)),
        hide=write_hide_dataset(base / 'hide'),
        realblur_j=write_realblur_dataset(base / 'realblur'),
        kohler=write_kohler_dataset(base / 'kohler', kernels=2, frames=3),
        # Every test video (one small frame each) and a training one.
        dvd=write_dvd_dataset(base / 'dvd', videos=DVD_TEST_VIDEOS +
                              ('IMG_0100', ), frames=1),
        lai=write_blurred_folder(base / 'lai'),
    )
    (base / 'empty_hide' / 'test').mkdir(parents=True)
    (base / 'empty_hide' / 'GT').mkdir()
    # A list file naming an image that is not there.
    broken = write_realblur_dataset(base / 'broken_realblur', images=1)
    with open(osp.join(broken, 'RealBlur_J_test_list.txt'), 'a') as f:
        f.write('scene9/gt/gt_1.png scene9/blur/blur_1.png\n')
    return base, checkpoint, roots


def run(setup, *extra, sets=('gopro', 'realblur_j', 'realblur_r', 'kohler',
                             'dvd', 'lai', 'nfs'), roots=None):
    base, checkpoint, default_roots = setup
    roots = roots or default_roots
    out = str(base / 'out')
    argv = [CONFIG, checkpoint, '--test-sets', *sets, '--out', out,
            '--shape', '64', '64', '--lpips', 'none', '--save-images',
            '--data-root'] + [f'{k}={roots[k]}' for k in roots] + list(extra)
    return eval_report.main(argv), out


def test_report_tables_match_the_metrics_of_the_saved_outputs(
        setup, repo_root, capsys):
    code, out = run(setup)
    assert code == 0
    err = capsys.readouterr().err
    # Missing sets: one line each, saying where to put them.
    assert re.search(r'skipped realblur_r: .*RealBlur_R_test_list.txt not '
                     r'found; put RealBlur .* --data-root realblur_r=PATH',
                     err)
    assert 'skipped nfs: data/NFS/test not found' in err
    with open(osp.join(out, 'report.json')) as f:
        report = json.load(f)
    rows = {r['test_set']: r for r in report['rows']}
    assert [r['status'] for r in report['rows']] == [
        'ok', 'ok', 'skipped', 'ok', 'ok', 'ok', 'skipped'
    ]
    base, _, roots = setup
    images = osp.join(out, 'images')

    # GoPro: PSNR, SSIM and CW-SSIM of the saved outputs against the sharp
    # frames.
    gopro = rows['gopro']
    preds = [read8(osp.join(images, 'gopro', 's1', f'{i:04d}.png'))
             for i in range(2)]
    gts = [read8(osp.join(roots['gopro'], 's1', 'sharp', f'{i:04d}.png'))
           for i in range(2)]
    expected = dict(
        PSNR=np.mean([calculate_psnr(p, g) for p, g in zip(preds, gts)]),
        SSIM=np.mean([calculate_ssim(p, g) for p, g in zip(preds, gts)]),
        **{'CW-SSIM': np.mean([calculate_cw_ssim(p, g)
                               for p, g in zip(preds, gts)])})
    for key, value in expected.items():
        assert gopro['metrics'][key] == pytest.approx(value, abs=1e-6), key
    assert gopro['images'] == 2 and gopro['seconds_per_image'] > 0

    # RealBlur: registered scores.
    key = 'RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene230/blur/blur_1'
    pred = read8(osp.join(images, 'realblur_j', key + '.png'))
    gt = read8(osp.join(roots['realblur_j'],
                        key.replace('blur/blur_1', 'gt/gt_1') + '.png'))
    aligned = align_to_reference(pred, gt)
    assert rows['realblur_j']['per_image'][key]['PSNR'] == pytest.approx(
        calculate_psnr(aligned.pred, aligned.gt, mask=aligned.mask))

    # Kohler: the best registered frame.
    pred = read8(osp.join(images, 'kohler', 'Blurry1_2.png'))
    frames = [read8(osp.join(roots['kohler'], 'GroundTruth',
                             f'GroundTruth1_2_{k}.png')) for k in (1, 2, 3)]
    assert rows['kohler']['per_image']['Blurry1_2']['PSNR'] == \
        pytest.approx(kohler_score(pred, frames)['PSNR'])
    # DVD: only the test videos; Lai: saved outputs and a sharpness score.
    assert rows['dvd']['images'] == len(DVD_TEST_VIDEOS)
    assert osp.isfile(osp.join(images, 'lai', 'photo1.png'))
    assert rows['lai']['metrics']['LapVar'] > 0

    # The same numbers in the Markdown table and the CSV.
    with open(osp.join(out, 'report.md')) as f:
        md = f.read()
    assert f"| gopro | full frames | 2 | {gopro['metrics']['PSNR']:.2f} |" \
        in md
    assert 'skipped nfs' in md
    with open(osp.join(out, 'report.csv')) as f:
        table = list(csv.DictReader(f))
    assert [r['Test set'] for r in table] == [
        'gopro', 'realblur_j', 'kohler', 'dvd', 'lai'
    ]
    assert float(table[0]['SSIM']) == pytest.approx(
        gopro['metrics']['SSIM'], abs=1e-4)
    assert float(table[0]['GMACs']) > 0 and float(table[0]['M params']) > 0


def test_lpips_column_with_local_weights(setup, repo_root, tmp_path):
    import sys
    refs = osp.join(repo_root, 'tests', 'data', 'metric_references')
    sys.path.insert(0, refs)
    from reference_inputs import lpips_weights
    sys.path.pop(0)
    backbone, linear = lpips_weights('alex')
    for name, state in (('b.pth', backbone), ('l.pth', linear)):
        torch.save({k: torch.from_numpy(v) for k, v in state.items()},
                   tmp_path / name)
    code, out = run(setup, '--lpips-backbone', str(tmp_path / 'b.pth'),
                    '--lpips-linear', str(tmp_path / 'l.pth'), '--lpips',
                    'alex', '--no-cw-ssim', '--max-images', '1', '--no-macs',
                    sets=('gopro', ))
    assert code == 0
    with open(osp.join(out, 'report.json')) as f:
        report = json.load(f)
    metrics = report['rows'][0]['metrics']
    assert 0 < metrics['LPIPS'] < 1 and 'CW-SSIM' not in metrics
    assert report['lpips_note'] == 'LPIPS: alex v0.1'


def test_bad_input(setup, repo_root, capsys):
    base, checkpoint, roots = setup
    # A folder without pairs is an error for that set; the others still run.
    code, out = run(setup, '--max-images', '1', '--no-macs',
                    sets=('hide', 'realblur_j', 'lai'),
                    roots=dict(roots, hide=str(base / 'empty_hide'),
                               realblur_j=str(base / 'broken_realblur')))
    assert code == 1
    err = capsys.readouterr().err
    assert 'error in hide: HIDEDataset found no image pairs' in err
    assert re.search(r'error in realblur_j: .*blurred images do not exist.*'
                     r'scene9/blur/blur_1.png', err)
    with open(osp.join(out, 'report.json')) as f:
        assert [r['status'] for r in json.load(f)['rows']] == [
            'error', 'error', 'ok'
        ]
    # Arguments: one line, exit code 2.
    assert eval_report.main([CONFIG, checkpoint, '--data-root', 'gopro']) == 2
    assert '--data-root' in capsys.readouterr().err
    assert eval_report.main([CONFIG, str(base / 'nope.pth')]) == 2
    assert 'does not exist' in capsys.readouterr().err
    assert eval_report.main([
        CONFIG, checkpoint, '--test-sets', 'gopro', '--data-root',
        f'gopro={roots["gopro"]}', '--out',
        osp.join(roots['gopro'], 'report')
    ]) == 2
    assert 'inside the gopro data' in capsys.readouterr().err
