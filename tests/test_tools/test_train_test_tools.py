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
