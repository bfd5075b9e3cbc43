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
``DeblurRunner`` through deblurkit's checkpoint reader. ``--out`` writes the
metrics and every image's scores as JSON.

Exit status: 0 done; 2 bad input (a config or checkpoint that cannot be used,
named in one ``error:`` line).
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction

from deblurkit.engine import (atomic_write, build_runner,
                              check_checkpoint_file, checkpoint_errors)
from deblurkit.engine.runner_config import (load_runner_config,
                                            prepare_distributed,
                                            prepare_test_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a deblurring model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the logs go')
    parser.add_argument(
        '--out', help='JSON file for the metrics and per-image scores')
    parser.add_argument(
        '--save-images', metavar='DIR', help='write the deblurred images here')
    parser.add_argument(
        '--test-set',
        metavar='DATASET_CONFIG',
        help='evaluate on the test set of this dataset config instead, e.g. '
        'configs/_base_/datasets/hide.py')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. test_dataloader.dataset.data_root=X')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args):
    cfg = load_runner_config(args.config, args.cfg_options, args.work_dir,
                             args.launcher, args.test_set)
    # The checkpoint supplies the weights: fetch no ImageNet/VGG weights.
    prepare_test_config(cfg, args.checkpoint)
    if args.save_images:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='SaveDeblurredImagesHook', out_dir=args.save_images)
        ]
    return cfg


def per_image_scores(runner):
    """``{key: {metric: value}}`` from the test metrics."""
    scores = {}
    for metric in runner.test_evaluator.metrics:
        name = type(metric).__name__
        for key, value in getattr(metric, 'per_image_results', []):
            scores.setdefault(key, {})[name] = value
    return scores


def main(argv=None):
    args = parse_args(argv)
    try:
        check_checkpoint_file(args.checkpoint)  # before building anything
        cfg = build_cfg(args)
        prepare_distributed(cfg)
        runner = build_runner(cfg)
        metrics = runner.test()
    except checkpoint_errors() as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    if args.out and runner.rank == 0:
        result = dict(
            config=args.config,
            checkpoint=args.checkpoint,
            metrics={k: float(v) for k, v in metrics.items()},
            per_image=per_image_scores(runner))
        atomic_write(args.out, json.dumps(result, indent=2), 'w')
        print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
