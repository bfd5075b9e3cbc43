"""tools/train.py runs the released recipe: the official iterations, the
restart at the end of warm-up across --resume, and a clear stop on NaN."""
import glob
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch
from conftest import OFFICIAL, REPO, as_cli, short_run_options

from deblurkit.engine import safe_torch_load
from tools import train as train_tool

sys.path.insert(0, osp.join(REPO, 'tests', 'test_models', 'test_editors'))
from test_official_train_parity import (batch, build_official_start,  # noqa
                                        loss_tolerance, run_case)

sys.path.pop(0)
sys.path.insert(0, OFFICIAL)
from official_training import load_train_steps  # noqa: E402

sys.path.pop(0)

GOPRO = osp.join(REPO, 'configs', 'deblurganv2_mobilenet_gopro.py')
CONFIG = 'configs/deblurganv2_mobilenet_gopro.py'


def write_pngs(root, case):
    """The case's batches as 8-bit PNGs, one GoPro sequence in step order;
    returns the batches as the loader will read them (uint8 / 255)."""
    quantised = {}
    for kind, folder in (('blur', 'blur'), ('sharp', 'sharp')):
        images = (case[kind][:, 0] * 255).round().clamp(0, 255).to(
            torch.uint8)
        quantised[kind] = (images.float() / 255)[:, None]
        for step, img in enumerate(images):
            path = osp.join(root, 'seq', folder, f'{step:04d}.png')
            os.makedirs(osp.dirname(path), exist_ok=True)
            rgb = img.permute(1, 2, 0).numpy()
            assert cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))
    return dict(case, **quantised)


def test_train_tool_runs_the_official_iterations(tmp_path, mobilenet_fixture,
                                                 repo_root):
    case = load_train_steps()['cases']['warmup_then_unfrozen']
    steps, frozen = case['spec']['steps'], case['spec']['frozen']
    data = write_pngs(str(tmp_path / 'data'), case)

    # The start weights as files: a deblurkit checkpoint (load_from) and
    # the VGG19 features (the content loss's pretrained path).
    model, _ = build_official_start(mobilenet_fixture, frozen)
    start = str(tmp_path / 'start.pth')
    torch.save({'state_dict': {
        k: v for k, v in model.state_dict().items()
        if k.startswith(('generator.', 'discriminator.'))}}, start)
    vgg = str(tmp_path / 'vgg19.pth')
    torch.save({f'features.{k}': v
                for k, v in model.content_loss.vgg.state_dict().items()}, vgg)

    config = tmp_path / 'parity.py'
    config.write_text(f"""
_base_ = [{GOPRO!r}]
model = dict(
    generator=dict(backbone=dict(pretrained=False)),
    content_loss=dict(pretrained={vgg!r}),
    warmup_iters={frozen})
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=False),
    dataset=dict(
        data_root={str(tmp_path / 'data')!r},
        pipeline=[dict(type='LoadPairedImages', keys=['img', 'gt']),
                  dict(type='PackDeblurInputs')]))
train_cfg = dict(max_iters={steps}, val_interval=10 ** 9)
val_dataloader = None
val_cfg = None
val_evaluator = None
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=10 ** 9, save_best=None))
log_processor = dict(window_size=1)
load_from = {start!r}
""")
    work_dir = str(tmp_path / 'work')
    assert train_tool.main([str(config), '--work-dir', work_dir]) == 0
    logged = [
        json.loads(line) for line in open(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))[0])
    ]
    logged = [entry for entry in logged if 'loss_d' in entry]
    assert [entry['iter'] for entry in logged] == list(range(1, steps + 1))

    # The same iterations through train_step on the same 8-bit batches.
    model, optim_wrapper = build_official_start(mobilenet_fixture, frozen)
    expected, _ = run_case(model, optim_wrapper, data, 'png')
    for step, (ours, reference) in enumerate(zip(logged, expected)):
        for term, value in reference.items():
            assert ours[term] == pytest.approx(
                value, rel=loss_tolerance(step, term, frozen)), \
                f'iteration {step}: {term}'


def adam_steps(optimizer_state):
    return {int(s['step']) for s in optimizer_state['state'].values()}


def test_restart_at_the_end_of_warmup_survives_resume(tmp_path, tiny_gopro,
                                                      repo_root):
    # warm-up 2 of 4 iterations; stop at 2, resume to 4.
    work_dir = str(tmp_path / 'work')
    options = short_run_options(tiny_gopro, **{'train_cfg.max_iters': 2})
    assert train_tool.main([CONFIG, '--work-dir', work_dir] +
                           as_cli(options)) == 0
    options['train_cfg.max_iters'] = 4
    assert train_tool.main([CONFIG, '--work-dir', work_dir, '--resume'] +
                           as_cli(options)) == 0
    ckpt = safe_torch_load(osp.join(work_dir, 'iter_4.pth'))
    # A fresh Adam for the whole generator at iteration 2: two steps since,
    # for the head as for the backbone; the discriminator's ran on.
    assert adam_steps(ckpt['optimizer']['generator']) == {2}
    assert adam_steps(ckpt['optimizer']['discriminator']) == {4}
    # And a fresh generator scheduler: its count restarted at 2.
    schedulers = ckpt['param_schedulers']
    assert schedulers['generator'][0]['_global_step'] == 2
    assert schedulers['discriminator'][0]['_global_step'] == 4


def test_nan_stops_training_with_one_line_and_resume_works(
        tmp_path, tiny_gopro, repo_root, capsys, monkeypatch):
    monkeypatch.syspath_prepend(osp.join(REPO, 'tests', 'data', 'custom'))
    config = tmp_path / 'nan.py'
    config.write_text(f"""
_base_ = [{GOPRO!r}]
custom_imports = dict(imports=['nan_loss'], allow_failed_imports=False)
model = dict(content_loss=dict(
    _delete_=True, type='NaNAtIterationLoss', nan_iter=2))
""")
    work_dir = str(tmp_path / 'work')
    options = short_run_options(
        tiny_gopro, **{'default_hooks.checkpoint.interval': 1})
    del options['model.content_loss.pretrained']
    code = train_tool.main([str(config), '--work-dir', work_dir] +
                           as_cli(options))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert err[-1].startswith('error: training stopped: iteration 2: '
                              'loss_content is nan')
    # Stopped before the update: the checkpoints of iterations 1 and 2
    # exist, none after, and the last one is the state before the NaN.
    names = sorted(osp.basename(p)
                   for p in glob.glob(osp.join(work_dir, 'iter_*.pth')))
    assert names == ['iter_1.pth', 'iter_2.pth']
    for name in names:
        state = safe_torch_load(osp.join(work_dir, name))['state_dict']
        assert all(torch.isfinite(v).all() for v in state.values()
                   if v.is_floating_point()), name
    # --resume continues from it once the cause is gone.
    options['model.content_loss.nan_iter'] = -1
    assert train_tool.main([str(config), '--work-dir', work_dir, '--resume']
                           + as_cli(options)) == 0
    assert safe_torch_load(osp.join(work_dir, 'iter_4.pth'))['meta'][
        'iter'] == 4
