"""Training curves from scalars.json; tools/analysis_tools/plot_curves.py."""
import json
import os

import cv2
import numpy as np
import pytest

from deblurkit.visualization.curves import (NoScalarsError, plot_curves,
                                            read_scalars)
from tools.analysis_tools import plot_curves as tool


def write_run(folder, train_steps, val_steps, val_interval=None, loss=1.0):
    vis = folder / 'vis_data'
    vis.mkdir(parents=True)
    lines = []
    for step in train_steps:
        lines.append(dict(loss_d=1e-4 * loss, loss_content=0.1 * loss,
                          loss_g=0.1 * loss + 1e-3, loss_g_adv=1.0,
                          time=0.3, data_time=0.01, **{'generator.lr': 1e-4},
                          iter=step, step=step))
        if step in val_steps or (val_interval and step % val_interval == 0):
            lines.append(dict(PSNR=20.0 + step / 100, SSIM=0.5, time=0.1,
                              step=0 if val_interval else step))
    (vis / 'scalars.json').write_text(''.join(
        json.dumps(r) + '\n' for r in lines))
    if val_interval:
        (vis / 'config.py').write_text(
            f'train_cfg = dict(type="IterBasedTrainLoop", max_iters=999, '
            f'val_interval={val_interval})\n')
    return folder


def test_resumed_work_dir_is_joined_and_test_runs_ignored(tmp_path):
    write_run(tmp_path / '20260101_000000', [1, 2, 3, 4], [2, 4])
    # Resumed from 3: its iteration 4 replaces the first run's.
    write_run(tmp_path / '20260101_010000', [4, 5, 6], [4, 6], loss=2.0)
    test_run = tmp_path / '20260101_020000' / 'vis_data'
    test_run.mkdir(parents=True)
    (test_run / 'scalars.json').write_text('{"PSNR": 1.0, "step": 0}\n')
    train, val = read_scalars(str(tmp_path))
    assert [r['step'] for r in train] == [1, 2, 3, 4, 5, 6]
    assert train[3]['loss_content'] == pytest.approx(0.2)
    assert [r['step'] for r in val] == [2, 4, 6]
    assert read_scalars(str(tmp_path / '20260101_000000'))[0][-1]['step'] \
        == 4


def test_validation_steps_recovered_from_val_interval(tmp_path):
    # mmengine's own LoggerHook wrote step 0 for every validation.
    run = write_run(tmp_path / 'ts', range(51, 301), [], val_interval=100)
    _, val = read_scalars(str(run))
    assert [r['step'] for r in val] == [100, 200, 300]
    assert val[0]['PSNR'] == pytest.approx(21.0)


def test_no_training_records(tmp_path):
    with pytest.raises(NoScalarsError, match='no scalars.json'):
        read_scalars(str(tmp_path))
    (tmp_path / 'scalars.json').write_text('{"PSNR": 1, "step": 0}\n')
    with pytest.raises(NoScalarsError, match='no training losses'):
        read_scalars(str(tmp_path))


def test_one_axis_per_loss_and_metric(tmp_path):
    run = write_run(tmp_path / 'ts', range(1, 21), [10, 20])
    train, val = read_scalars(str(run))
    out = str(tmp_path / 'curves.png')
    names = plot_curves(out, train, val, baselines={'PSNR': 19.0})
    assert names == ['loss_d', 'loss_content', 'loss_g', 'loss_g_adv',
                     'PSNR', 'SSIM']
    img = cv2.imread(out)
    assert img.shape == (2 * 310, 4 * 420, 3)  # 2 rows of 4 axes at 100 dpi
    assert sorted(os.listdir(tmp_path)) == ['curves.png', 'ts']  # no temp


def test_tool_writes_the_png_and_refuses_to_lose_files(tmp_path, capsys):
    run = write_run(tmp_path / 'work' / '20260101_000000', range(1, 11), [5])
    work = str(tmp_path / 'work')
    assert tool.main([work, '--baseline', 'PSNR=19.5']) == 0
    out = tmp_path / 'work' / 'training_curves.png'
    first = cv2.imread(str(out))
    assert first is not None
    assert 'loss_content' in capsys.readouterr().out
    # Again: the PNG it wrote is replaced, with another picture.
    assert tool.main([work]) == 0
    assert not np.array_equal(cv2.imread(str(out)), first)
    # Not a PNG: left alone.
    notes = tmp_path / 'notes.txt'
    notes.write_text('mine')
    assert tool.main([work, '--out', str(notes)]) == 2
    assert notes.read_text() == 'mine'
    scalars = run / 'vis_data' / 'scalars.json'
    before = scalars.read_bytes()
    assert tool.main([work, '--out', str(scalars)]) == 2
    assert scalars.read_bytes() == before
    err = capsys.readouterr().err
    assert 'not a PNG' in err
    assert tool.main([str(tmp_path / 'nowhere')]) == 2
    assert tool.main([work, '--baseline', 'PSNR']) == 2
    assert 'METRIC=VALUE' in capsys.readouterr().err
