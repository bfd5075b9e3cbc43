"""A user's generator in the user's own file goes through every tool, as
docs/advanced_guides/registries_and_custom_modules.md shows: train ->
resume -> test -> deblur -> export -> benchmark, with no edit to deblurkit.
And tools/test.py on an identity generator reports the blurred images' own
metrics."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import as_cli, short_run_options

from deblurkit.apis import init_model
from deblurkit.engine import safe_torch_load
from deblurkit.evaluation import calculate_psnr, calculate_ssim
from tool_steps import (assert_deblur_tool_matches_api,
                        assert_test_tool_matches_api, gopro_pairs,
                        run_test_tool)
from tools import train as train_tool
from tools.analysis_tools import benchmark
from tools.deployment import export_onnx

CONFIG = 'tests/data/custom/deblurganv2_my_unet.py'
IDENTITY_CONFIG = 'tests/data/custom/deblurganv2_identity.py'


@pytest.fixture
def custom_path(repo_root, monkeypatch):
    """``PYTHONPATH=tests/data/custom``, as the guide says."""
    monkeypatch.syspath_prepend(osp.join(repo_root, 'tests', 'data',
                                         'custom'))


def test_user_generator_through_every_tool(tmp_path, tiny_gopro, custom_path,
                                           capsys):
    model_options = {
        'model.generator.width': 4,
        'model.discriminator.patch.base_channels': 8,
        'model.discriminator.full.base_channels': 8,
        'model.content_loss.pretrained': False,
    }
    options = short_run_options(tiny_gopro, **model_options, **{
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
    })
    del options['model.generator.backbone.pretrained']
    del options['model.warmup_iters']
    work = str(tmp_path / 'work')

    # train 2 iterations, then resume to 3.
    assert train_tool.main([CONFIG, '--work-dir', work] + as_cli(options)) \
        == 0
    options['train_cfg.max_iters'] = 3
    assert train_tool.main([CONFIG, '--work-dir', work, '--resume'] +
                           as_cli(options)) == 0
    first = safe_torch_load(osp.join(work, 'iter_2.pth'))
    ckpt_path = osp.join(work, 'iter_3.pth')
    last = safe_torch_load(ckpt_path)
    assert last['meta']['iter'] == 3
    # Resumed, not restarted: Adam's step count went on from 2 to 3.
    steps = [s['step'] for s in last['optimizer']['generator']['state']
             .values()]
    assert steps and all(float(s) == 3 for s in steps)
    assert any(not torch.equal(first['state_dict'][k], v)
               for k, v in last['state_dict'].items()
               if k.startswith('generator.'))

    # test: metrics of the model's own outputs.
    model = init_model(CONFIG, ckpt_path, cfg_options=model_options)
    assert type(model.generator).__name__ == 'MyUNet'
    assert_test_tool_matches_api(CONFIG, ckpt_path, model, work,
                                 tiny_gopro['test'], model_options,
                                 str(tmp_path / 'scores.json'))

    # deblur: the tool writes what the API returns (a size that needs
    # padding to the generator's multiple of 4).
    assert_deblur_tool_matches_api(CONFIG, ckpt_path, model, str(tmp_path),
                                   model_options, (37, 50, 3))

    # export: ONNX Runtime agrees with PyTorch, also on a padded size.
    pytest.importorskip('onnxruntime')
    onnx_path = str(tmp_path / 'my_unet.onnx')
    capsys.readouterr()
    assert export_onnx.main([CONFIG, ckpt_path, onnx_path, '--shape', '64',
                             '64', '--dynamic'] + as_cli(model_options)) == 0
    assert 'max |diff|' in capsys.readouterr().out

    # benchmark: the plain path (no fast path for this generator).
    bench = str(tmp_path / 'bench.json')
    assert benchmark.main([
        CONFIG, '--checkpoint', ckpt_path, '--shape', '37', '50',
        '--repeat', '2', '--warmup', '1', '--out', bench
    ] + as_cli(model_options)) == 0
    with open(bench) as f:
        result = json.load(f)
    assert result['impl'] == 'eager' and result['padded_shape'] == [40, 52]
    assert result['params'] == sum(
        p.numel() for p in model.generator.parameters())


def test_identity_generator_reports_the_blurred_images_metrics(
        tmp_path, tiny_gopro, custom_path):
    ckpt = str(tmp_path / 'identity.pth')
    torch.save({'state_dict': {'generator.gain': torch.ones(())}}, ckpt)
    scores = run_test_tool(IDENTITY_CONFIG, ckpt, str(tmp_path / 'work'),
                           tiny_gopro['test'], {},
                           str(tmp_path / 'scores.json'))
    psnrs, ssims = [], []
    for blur, sharp in gopro_pairs(tiny_gopro['test']):
        blur, sharp = blur.astype(np.float64), sharp.astype(np.float64)
        psnrs.append(calculate_psnr(blur, sharp))
        ssims.append(calculate_ssim(blur, sharp))
    assert len(scores['per_image']) == len(psnrs) > 0
    assert scores['metrics']['PSNR'] == pytest.approx(np.mean(psnrs),
                                                      abs=1e-6)
    assert scores['metrics']['SSIM'] == pytest.approx(np.mean(ssims),
                                                      abs=1e-6)


def test_user_discriminator_and_loss_train(custom_path):
    from mmengine.config import Config
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    from deblurkit.registry import MODELS
    from deblurkit.structures import DeblurDataSample
    cfg = Config.fromfile('tests/data/custom/deblurganv2_my_gan_parts.py')
    cfg.merge_from_dict({
        'model.generator.backbone.pretrained': False,
        'model.content_loss': dict(_delete_=True, type='L1Loss'),
        'model.discriminator.width': 4,
    })
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert type(model.discriminator).__name__ == 'TinyPatchD'
    wrappers = OptimWrapperDict(**{
        name: OptimWrapper(torch.optim.Adam(
            getattr(model, name).parameters(), lr=1e-3))
        for name in ('generator', 'discriminator')
    })
    sharp = torch.rand(3, 64, 64)
    data = dict(inputs=[sharp.roll(2, -1)],
                data_samples=[DeblurDataSample(gt_img=sharp)])
    model.train()
    d0, g0 = copy.deepcopy(model.discriminator), copy.deepcopy(
        model.generator)
    logs = model.train_step(data, wrappers)
    # The user's hinge loss of the first D step, weighted by adv_lambda.
    with torch.no_grad():
        fake = g0(data['inputs'][0][None] * 2 - 1)
        hinge = (torch.relu(1 - d0(sharp[None] * 2 - 1)).mean() +
                 torch.relu(1 + d0(fake)).mean())
    assert logs['loss_d'] == pytest.approx(
        cfg.model.adv_lambda * float(hinge), rel=1e-4)
    assert logs['loss_d_unweighted'] == pytest.approx(float(hinge),
                                                      rel=1e-4)
    assert set(logs) == {
        'loss_d', 'loss_d_unweighted', 'loss_g_adv', 'loss_g_adv_weighted',
        'loss_content', 'loss_g'
    }
    assert logs['loss_g_adv_weighted'] == pytest.approx(
        cfg.model.adv_lambda * logs['loss_g_adv'], rel=1e-5)
    assert logs['loss_g'] == pytest.approx(
        logs['loss_content'] + cfg.model.adv_lambda * logs['loss_g_adv'],
        rel=1e-5)
    assert any(not torch.equal(a, b) for a, b in zip(
        d0.parameters(), model.discriminator.parameters()))
