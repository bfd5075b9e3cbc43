"""The official repo's other generators: each config trains a few
iterations, tests, deblurs and exports (random weights, tiny widths)."""
import json
import os.path as osp

import pytest
import torch
from conftest import as_cli, short_run_options

from deblurkit.apis import init_model
from deblurkit.engine import safe_torch_load
from tool_steps import (assert_deblur_tool_matches_api,
                        assert_test_tool_matches_api)
from tools import train as train_tool
from tools.deployment import export_onnx

# Per config: the overrides that make it tiny (the released widths are
# tested by building, in the model tests).
ZOO = {
    'configs/deblurganv1_resnet_gopro.py': {
        'model.generator.base_channels': 4,
        'model.generator.num_blocks': 1,
    },
    'configs/deblurganv2_seresnext_unet_gopro.py': {
        'model.generator.backbone.model_name': 'test_resnet',
        'model.generator.backbone.pretrained': False,
        'model.generator.num_filters': 4,
    },
    'configs/deblurganv2_densenet_gopro.py': {
        'model.generator.backbone.pretrained': False,
        'model.generator.backbone.growth_rate': 8,
        'model.generator.backbone.block_config': (1, 1, 1, 1),
        'model.generator.neck.num_filters': 16,
        'model.generator.head.num_filters': 8,
    },
}
# FPN-Inception "simple" (Inception-ResNet-v2, 128-pixel minimum) is too
# large to train here; tests/test_models/test_necks covers its FPN.


def _options(data, config, **extra):
    options = short_run_options(data, **ZOO[config], **extra, **{
        'model.discriminator.patch.base_channels': 8,
        'model.discriminator.full.base_channels': 8,
    })
    if 'model.generator.backbone.pretrained' not in ZOO[config]:
        del options['model.generator.backbone.pretrained']
    return options


@pytest.mark.parametrize('config', sorted(ZOO))
def test_config_trains_tests_deblurs_and_exports(config, tmp_path,
                                                 tiny_gopro, repo_root):
    options = _options(tiny_gopro, config, **{
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 10,  # tools/test.py evaluates below
        'model.warmup_iters': 1,
    })
    if config.endswith('resnet_gopro.py') or 'densenet' in config:
        options['model.warmup_iters'] = 0  # no frozen backbone there
    work = str(tmp_path / 'work')
    assert train_tool.main([config, '--work-dir', work] + as_cli(options)) \
        == 0
    ckpt_path = osp.join(work, 'iter_2.pth')
    ckpt = safe_torch_load(ckpt_path)
    assert ckpt['meta']['iter'] == 2
    generator_keys = [k for k in ckpt['state_dict'] if k.startswith(
        'generator.')]
    assert generator_keys

    # The model of that config, with the weights the checkpoint holds.
    infer_options = {k: v for k, v in options.items()
                     if k.startswith('model.')}
    model = init_model(config, ckpt_path, cfg_options=infer_options)
    for key, value in model.generator.state_dict().items():
        assert torch.equal(ckpt['state_dict']['generator.' + key], value)

    # tools/test.py: PSNR of the model's own outputs.
    assert_test_tool_matches_api(config, ckpt_path, model, work,
                                 tiny_gopro['test'], infer_options,
                                 str(tmp_path / 'scores.json'))

    # tools/deblur.py writes what deblur_image returns.
    assert_deblur_tool_matches_api(config, ckpt_path, model, str(tmp_path),
                                   infer_options, (72, 88, 3))

    # The ONNX model matches PyTorch on a size that needs padding.
    pytest.importorskip('onnxruntime')
    onnx_path = str(tmp_path / 'g.onnx')
    assert export_onnx.main([config, ckpt_path, onnx_path, '--shape', '128',
                             '160', '--dynamic', '--atol', '1e-4'] +
                            as_cli(infer_options)) == 0
    assert osp.getsize(onnx_path) > 0


def test_no_gan_config_trains_on_the_content_loss_alone(tmp_path, tiny_gopro,
                                                         repo_root):
    config = 'configs/deblurganv2_mobilenet_no_gan_gopro.py'
    options = short_run_options(tiny_gopro, **{
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 10,
        'model.generator.neck.num_filters': 16,
        'model.generator.head.num_filters': 8,
    })
    work = str(tmp_path / 'work')
    assert train_tool.main([config, '--work-dir', work] + as_cli(options)) \
        == 0
    ckpt = safe_torch_load(osp.join(work, 'iter_2.pth'))
    assert not any(k.startswith('discriminator.') for k in ckpt['state_dict'])
    assert sorted(ckpt['optimizer']) == ['generator']
    logs = sorted(glob_json(work))
    assert logs
    with open(logs[-1]) as f:
        records = [json.loads(line) for line in f if '"loss_g"' in line]
    assert records
    for record in records:
        # Only the content loss: the generator loss is exactly it.
        assert 'loss_d' not in record and 'loss_g_adv' not in record
        assert record['loss_g'] == pytest.approx(record['loss_content'])


def glob_json(work):
    import glob
    return glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
