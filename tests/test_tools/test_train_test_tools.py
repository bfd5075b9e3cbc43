"""tools/train.py and tools/test.py on a tiny GoPro-layout dataset."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from conftest import as_cli, short_run_options

from deblurkit.apis import init_model
from deblurkit.engine import safe_torch_load
from deblurkit.evaluation import calculate_psnr, calculate_ssim
from tools import test as test_tool
from tools import train as train_tool

CONFIG = 'configs/deblurganv2_mobilenet_gopro.py'


def test_train_resume_and_test(tmp_path, tiny_gopro, repo_root):
    work_dir = str(tmp_path / 'work')
    options = short_run_options(tiny_gopro)
    assert train_tool.main([CONFIG, '--work-dir', work_dir] +
                           as_cli(options)) == 0
    for name in ('iter_2.pth', 'iter_4.pth', 'last_checkpoint'):
        assert osp.exists(osp.join(work_dir, name)), name
    assert glob.glob(osp.join(work_dir, 'best_PSNR_iter_*.pth'))
    # Validation triplets: blurred | deblurred | sharp side by side.
    triplets = glob.glob(
        osp.join(work_dir, '*', 'vis_data', 'vis_image', 'val_*.png'))
    assert triplets
    ckpt = safe_torch_load(osp.join(work_dir, 'iter_4.pth'))
    assert ckpt['meta']['iter'] == 4
    assert isinstance(ckpt['message_hub']['log_scalars'], dict)

    # Resume continues from iteration 4 with the optimizer state restored.
    options['train_cfg.max_iters'] = 6
    assert train_tool.main([CONFIG, '--work-dir', work_dir, '--resume'] +
                           as_cli(options)) == 0
    resumed = safe_torch_load(osp.join(work_dir, 'iter_6.pth'))
    assert resumed['meta']['iter'] == 6
    # After the warm-up every generator parameter has Adam state.
    model = init_model(CONFIG, osp.join(work_dir, 'iter_6.pth'))
    assert len(resumed['optimizer']['generator']['state']) == len(
        list(model.generator.parameters()))

    # tools/test.py reports the metrics of the model's own outputs.
    out = str(tmp_path / 'scores.json')
    images = str(tmp_path / 'deblurred')
    assert test_tool.main([
        CONFIG,
        osp.join(work_dir, 'iter_6.pth'), '--work-dir', work_dir, '--out',
        out, '--save-images', images
    ] + as_cli({'test_dataloader.dataset.data_root': tiny_gopro['test']}))\
        == 0
    with open(out) as f:
        scores = json.load(f)
    psnrs, ssims = [], []
    for blur_path in sorted(glob.glob(osp.join(tiny_gopro['test'], '*',
                                               'blur', '*.png'))):
        blur = cv2.imread(blur_path)[..., ::-1] / 255.0
        sharp = cv2.imread(blur_path.replace('/blur/', '/sharp/'))[..., ::-1]
        x = torch.from_numpy(blur.copy()).permute(2, 0, 1)[None].float()
        with torch.no_grad():
            pred = model.generator(x * 2 - 1)[0]
        pred = ((pred + 1) / 2).clamp(0, 1).mul(255).round()
        pred = pred.permute(1, 2, 0).numpy().astype(np.float64)
        psnrs.append(calculate_psnr(pred, sharp.astype(np.float64)))
        ssims.append(calculate_ssim(pred, sharp.astype(np.float64)))
        key = blur_path.split(osp.sep)[-3] + '/' + osp.splitext(
            osp.basename(blur_path))[0]
        assert abs(scores['per_image'][key]['PSNR'] - psnrs[-1]) < 1e-4
        assert osp.exists(osp.join(images, key + '.png'))
    assert abs(scores['metrics']['PSNR'] - np.mean(psnrs)) < 1e-4
    assert abs(scores['metrics']['SSIM'] - np.mean(ssims)) < 1e-4


def test_missing_checkpoint_is_named(tmp_path, repo_root, capsys):
    assert test_tool.main([CONFIG, str(tmp_path / 'nope.pth')]) == 2
    assert 'nope.pth' in capsys.readouterr().err


def test_test_set_option_swaps_the_benchmark(tmp_path, repo_root):
    from deblurkit.engine.runner_config import load_runner_config
    cfg = load_runner_config(
        CONFIG,
        {'test_dataloader.dataset.data_root': str(tmp_path)},
        test_set='configs/_base_/datasets/realblur_r.py')
    dataset = cfg.test_dataloader.dataset
    assert dataset.type == 'PairedListDataset'
    assert dataset.ann_file == 'RealBlur_R_test_list.txt'
    assert dataset.data_root == str(tmp_path)  # --cfg-options still win
    assert cfg.val_dataloader.dataset.type == 'GoProDataset'
    with pytest.raises(FileNotFoundError, match='nowhere.py'):
        load_runner_config(CONFIG, test_set='configs/nowhere.py')


def test_console_shows_losses_and_test_ends_with_a_baseline_table(
        tmp_path, tiny_gopro, repo_root, capsys):
    """A 6-iteration run with the default logging: a loss line (with ETA)
    for every iteration, the start-up dump in the log file only;
    tools/test.py's table and JSON hold the blurred inputs' scores."""
    import importlib.util
    tensorboard = importlib.util.find_spec('tensorboard') is not None
    work_dir = str(tmp_path / 'work')
    options = short_run_options(
        tiny_gopro, **{
            'train_cfg.max_iters': 6,
            'train_cfg.val_interval': 3,
            'default_hooks.checkpoint.interval': 6
        })
    del options['default_hooks.logger.interval']  # the config's 100
    assert train_tool.main([CONFIG, '--work-dir', work_dir] +
                           (['--tensorboard'] if tensorboard else []) +
                           as_cli(options)) == 0
    console = capsys.readouterr().out
    for k in range(1, 7):
        line = next(x for x in console.splitlines()
                    if f'Iter(train) [{k}/6]' in x)
        assert 'eta: ' in line and 'loss_g_adv_weighted: ' in line
    assert 'System environment' not in console
    assert 'Hooks will be executed' not in console
    (log_file, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert log_file in console  # named on the console
    with open(log_file) as f:
        text = f.read()
    assert 'System environment' in text and 'Hooks will be executed' in text
    (scalars, ) = glob.glob(osp.join(work_dir, '*', 'vis_data',
                                     'scalars.json'))
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    train = [r for r in records if 'loss_g' in r]
    assert [r['step'] for r in train] == list(range(1, 7))
    # Validation metrics at the iteration they were measured at.
    assert [r['step'] for r in records if 'PSNR' in r] == [3, 6]
    for r in train:
        assert r['loss_d'] == pytest.approx(0.001 * r['loss_d_unweighted'],
                                            rel=1e-5)
    if tensorboard:
        from tensorboard.backend.event_processing.event_accumulator import \
            EventAccumulator
        (events, ) = glob.glob(osp.join(work_dir, '*', 'vis_data',
                                        'events.out.tfevents.*'))
        acc = EventAccumulator(events)
        acc.Reload()
        assert [e.step for e in acc.Scalars('loss_g')] == list(range(1, 7))
        assert [e.step for e in acc.Scalars('PSNR')] == [3, 6]

    out = str(tmp_path / 'scores.json')
    assert test_tool.main([
        CONFIG, osp.join(work_dir, 'iter_6.pth'), '--work-dir',
        str(tmp_path / 'test_work'), '--out', out, '--verbose'
    ] + as_cli({'test_dataloader.dataset.data_root': tiny_gopro['test']}))\
        == 0
    console = capsys.readouterr().out
    assert 'System environment' in console  # --verbose
    with open(out) as f:
        scores = json.load(f)
    blurred = {}
    for blur_path in sorted(glob.glob(osp.join(tiny_gopro['test'], '*',
                                               'blur', '*.png'))):
        blur = cv2.imread(blur_path)[..., ::-1].astype(np.float64)
        sharp = cv2.imread(blur_path.replace('/blur/', '/sharp/'))[..., ::-1]
        key = blur_path.split(osp.sep)[-3] + '/' + osp.splitext(
            osp.basename(blur_path))[0]
        blurred[key] = calculate_psnr(blur, sharp.astype(np.float64))
        assert scores['input_per_image'][key]['PSNR'] == pytest.approx(
            blurred[key], abs=1e-6)
    input_psnr = np.mean(list(blurred.values()))
    assert scores['input_metrics']['PSNR'] == pytest.approx(input_psnr)
    gain = scores['metrics']['PSNR'] - input_psnr
    assert scores['gain']['PSNR'] == pytest.approx(gain)
    assert set(scores['gain']) == {'PSNR', 'SSIM'}
    # The closing table: model, blurred input and gain of each metric.
    table = console[console.index(f'{len(blurred)} test images'):]
    psnr_row = next(x for x in table.splitlines() if x.startswith('PSNR'))
    assert psnr_row.split() == [
        'PSNR', f'{scores["metrics"]["PSNR"]:.4f}', f'{input_psnr:.4f}',
        f'{gain:+.4f}'
    ]


def test_tensorboard_without_the_package_is_one_line(tmp_path, repo_root,
                                                     capsys, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', None)
    assert train_tool.main([CONFIG, '--tensorboard', '--work-dir',
                            str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1
    assert "pip install 'deblurkit[tensorboard]'" in err
    # The backend named in the config fails the same way, before training.
    assert train_tool.main([
        CONFIG, '--work-dir', str(tmp_path), '--cfg-options',
        'visualizer.vis_backends.0.type=TensorboardVisBackend'
    ]) == 2
    assert "pip install 'deblurkit[tensorboard]'" in capsys.readouterr().err
