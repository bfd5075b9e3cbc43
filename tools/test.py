#!/usr/bin/env python
"""Evaluate a checkpoint on a benchmark with mmengine's Runner.

    python tools/test.py configs/deblurganv2_mobilenet_gopro.py CKPT
    python tools/test.py CONFIG CKPT --out work_dirs/scores.json \
        --save-images work_dirs/deblurred
    python tools/test.py configs/deblurganv2_mobilenet_gopro.py CKPT \
        --cfg-options test_dataloader.dataset.data_root=data/GoPro/test
    python tools/test.py configs/deblurganv2_mobilenet_gopro.py CKPT \
        --test-set configs/_base_/datasets/hide.py

CKPT may be a deblurkit checkpoint (any generator, also from
tools/dist_train.sh), the authors' fpn_mobilenet.h5 / fpn_inception.h5, or
MMagic's republication: it is the config's ``load_from``, read by
``DeblurRunner`` through deblurkit's checkpoint reader. ``--out`` writes the metrics and
every image's scores as JSON (a file: a folder is refused before the
evaluation starts). ``--save-images`` writes PNGs at the input's bit depth,
read with the same EXIF policy as tools/deblur.py.

The blurred inputs are scored with the same metrics in the same pass (the
baseline a model has to beat), and the tool ends with a table: each metric
of the model, of the blurred inputs, and the difference (model - input).
``--out`` has them as ``metrics`` (the model), ``input_metrics``, ``gain``
and, per image, ``per_image`` and ``input_per_image``. mmengine's dump of
the environment, config and hooks goes to the log file only, unless
``--verbose``.

Before anything is evaluated, ``--out`` and ``--save-images`` are checked
against the test set: neither may be, contain or lie inside a folder or file
the test set reads, and ``--out`` may only replace a results file of this
tool. Exit status: 0 done, 1 some images could not be saved or the results
could not be written (they are then printed), 2 bad command line, config,
checkpoint or output path, 130 interrupted.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.registry import init_default_scope

from deblurkit.cli import (CONFIG_HELP, EXIT_FAILED, CfgOptionsAction,
                           HelpFormatter, UserError, config_file, tool_main,
                           user_errors)
from deblurkit.engine import (build_runner, check_checkpoint_file,
                              checkpoint_errors)
from deblurkit.engine.runner_config import (load_runner_config,
                                            prepare_distributed,
                                            prepare_test_config)
from deblurkit.fileio import (MAX_PIXELS_ENV, OutputPathError, atomic_write,
                              check_output_path, set_max_image_pixels)
from deblurkit.registry import DATASETS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Test a deblurring model', formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument(
        'checkpoint',
        help='deblurkit checkpoint, the authors\' .h5 or MMagic\'s file')
    parser.add_argument(
        '--work-dir',
        help='where the logs go (default: work_dirs/<config name> in the '
        'current folder)')
    parser.add_argument(
        '--out', help='JSON file for the metrics and per-image scores')
    parser.add_argument(
        '--save-images', metavar='DIR', help='write the deblurred images here')
    parser.add_argument(
        '--test-set',
        metavar='DATASET_CONFIG',
        help='evaluate on the test set of this dataset config instead: a '
        'file or a shipped dataset config\'s name, e.g. hide (`deblurkit '
        'configs` lists them)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config keys, e.g. test_dataloader.dataset.data_root=X')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="print mmengine's environment, config and hook dump on the "
        'console too (it always goes to the log file)')
    parser.add_argument(
        '--max-pixels', type=int, default=None, metavar='N',
        help='refuse test images whose header declares more than N pixels')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher: pytorch under torchrun (tools/dist_test.sh)')
    parser.add_argument(
        '--local_rank', '--local-rank', type=int, default=0,
        help='rank of this process on its machine; set by the launcher '
        '(LOCAL_RANK in the environment wins)')
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args):
    cfg = load_runner_config(args.config, args.cfg_options, args.work_dir,
                             args.launcher, args.test_set)
    # The checkpoint supplies the weights: fetch no ImageNet/VGG weights.
    prepare_test_config(cfg, args.checkpoint)
    hooks = list(cfg.get('custom_hooks', [])) + [
        dict(type='InputBaselineHook')
    ]
    if args.save_images:
        hooks.append(
            dict(type='SaveDeblurredImagesHook', out_dir=args.save_images))
    cfg.custom_hooks = hooks
    if args.verbose:
        cfg.log_dump_on_console = True
    return cfg


def per_image_scores(evaluator):
    """``{key: {metric: value}}`` from an evaluator's metrics."""
    scores = {}
    for metric in evaluator.metrics:
        name = type(metric).__name__
        for key, value in getattr(metric, 'per_image_results', []):
            scores.setdefault(key, {})[name] = value
    return scores


def test_set_inputs(cfg):
    """``(path, what)`` of everything the test set reads: its folders (or
    list file) and every image of every pair."""
    dataset_cfg = cfg.test_dataloader.dataset
    with user_errors('test_dataloader.dataset'):
        init_default_scope(cfg.get('default_scope', 'deblurkit'))
        dataset = DATASETS.build(dataset_cfg)
    root = dataset_cfg.get('data_root') or ''
    inputs = [(root, 'the test set folder (data_root)')] if root else []
    for key in ('blur_root', 'sharp_root', 'ann_file'):
        if dataset_cfg.get(key):
            path = dataset_cfg[key]
            inputs.append((path if osp.isabs(path) else osp.join(root, path),
                           f'the test set {key}'))
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        inputs += [(info['img_path'], 'a test image'),
                   (info['gt_path'], 'a test image')]
    return inputs


def check_outputs(args, cfg):
    """Refuse output paths that would lose anything, before evaluating."""
    if args.out is not None:
        if args.out.endswith(('/', os.sep)) or osp.isdir(args.out):
            raise UserError(f'--out {args.out} is a folder; --out names the '
                            'JSON file to write, e.g. '
                            f'{osp.join(args.out, "results.json")}')
        if osp.exists(args.out) and not _is_results_file(args.out):
            raise UserError(f'--out {args.out} exists and is not a results '
                            'file of tools/test.py; it is left untouched. '
                            'Choose another --out.')
    if not (args.out or args.save_images):
        return
    inputs = test_set_inputs(cfg)
    try:
        for path, arg in ((args.out, '--out'),
                          (args.save_images, '--save-images')):
            if path is not None:
                check_output_path(path, inputs, arg)
    except OutputPathError as err:
        raise UserError(str(err)) from None


def _is_results_file(path):
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {'metrics', 'per_image'} <= set(data)


def gains(model, baseline):
    """``{name: model - input}`` for the metrics both have."""
    return {k: model[k] - baseline[k] for k in model if k in baseline}


def results_table(model, baseline, num_images):
    """The tool's closing table: each metric of the model, of the blurred
    inputs and the gain (model - input; for LPIPS lower is better)."""
    rows = [('metric', 'model', 'blurred input', 'model - input')]
    for name, value in model.items():
        if name in baseline:
            rows.append((name, f'{value:.4f}', f'{baseline[name]:.4f}',
                         f'{value - baseline[name]:+.4f}'))
        else:
            rows.append((name, f'{value:.4f}', '-', '-'))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        '  '.join(cell.ljust(w) if i == 0 else cell.rjust(w)
                  for i, (cell, w) in enumerate(zip(row, widths)))
        for row in rows
    ]
    return '\n'.join([f'{num_images} test images'] + lines)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    try:
        check_checkpoint_file(args.checkpoint)  # before building anything
    except checkpoint_errors() as err:
        raise UserError(str(err)) from err
    if args.max_pixels is not None:
        with user_errors('--max-pixels'):
            set_max_image_pixels(args.max_pixels)
        os.environ[MAX_PIXELS_ENV] = str(args.max_pixels)  # data workers
    with user_errors(f'config {args.config}'):
        cfg = build_cfg(args)
    check_outputs(args, cfg)
    prepare_distributed(cfg)
    with user_errors(f'config {args.config}'):
        runner = build_runner(cfg)
    try:
        metrics = runner.test()
    except checkpoint_errors() as err:
        raise UserError(str(err)) from err
    status = 0
    saver = next((h for h in runner.hooks
                  if type(h).__name__ == 'SaveDeblurredImagesHook'), None)
    if saver is not None and saver.failed:
        print(f'error: {len(saver.failed)} deblurred image(s) could not be '
              'saved:', file=sys.stderr)
        for path, reason in saver.failed:
            print(f'  FAILED {path}: {reason}', file=sys.stderr)
        status = EXIT_FAILED
    metrics = {k: float(v) for k, v in metrics.items()}
    baseline = next(h for h in runner.hooks
                    if type(h).__name__ == 'InputBaselineHook')
    input_metrics = {k: float(v) for k, v in (baseline.metrics or {}).items()}
    if runner.rank == 0:
        print('\n' + results_table(metrics, input_metrics,
                                   len(runner.test_dataloader.dataset)))
    if args.out and runner.rank == 0:
        result = dict(
            config=args.config,
            checkpoint=args.checkpoint,
            metrics=metrics,
            input_metrics=input_metrics,
            gain=gains(metrics, input_metrics),
            per_image=per_image_scores(runner.test_evaluator),
            input_per_image=per_image_scores(baseline.evaluator)
            if baseline.metrics else {})
        text = json.dumps(result, indent=2)
        try:
            atomic_write(args.out, text, 'w')
            print(f'wrote {args.out}')
        except OSError as err:
            # Never lose a long evaluation: the results go to stdout.
            print(text)
            print(f'error: cannot write --out {args.out} ({err}); the '
                  'results are printed above', file=sys.stderr)
            status = EXIT_FAILED
    return status


if __name__ == '__main__':
    sys.exit(main())
