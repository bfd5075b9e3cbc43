#!/usr/bin/env python
"""Evaluate a checkpoint on every available benchmark, each under its own
protocol, and write the paper-style tables (Markdown, CSV, JSON).

    python tools/analysis_tools/eval_report.py \
        configs/deblurganv2_mobilenet_gopro.py fpn_mobilenet.h5 \
        --test-sets gopro hide realblur_j realblur_r kohler dvd \
        --out work_dirs/report

Each test set runs through mmengine's Runner (the machinery of
tools/test.py) with its dataset config from configs/_base_/datasets/ and
the metrics of its protocol (docs/user_guides/evaluation.md):

- gopro, hide, dvd: PSNR, SSIM (MMagic's), CW-SSIM (what the official
  test_metrics.py reported as "SSIM"), LPIPS;
- realblur_j, realblur_r: PSNR and SSIM after RealBlur's registration
  (gain + ECC homography, overlap only), LPIPS on the overlap;
- kohler: best registered PSNR over the recorded camera path (and SSIM
  there);
- lai, nfs: no ground truth; the outputs are saved and scored with the
  variance of the Laplacian.

LPIPS runs when its weights are found locally (torchvision's hub cache and
the lpips package, or --lpips-backbone / --lpips-linear). A test set whose
folder is missing is skipped with a line that says where to put it.

Exit codes: 0 every requested set was evaluated or skipped as missing;
1 a set's data or the checkpoint is broken (the others still run, the
report is still written); 2 bad arguments.
"""
import argparse
import csv
import io
import json
import os
import os.path as osp
import sys
import time
from datetime import datetime, timezone

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)  # for tools.test and tools.analysis_tools

import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from tqdm import tqdm  # noqa: E402

from deblurkit.apis.init_model import build_generator  # noqa: E402
from deblurkit.cli import (CONFIG_HELP, HelpFormatter,  # noqa
                           config_file, tool_main)
from deblurkit.engine import (UnsafeCheckpointError, atomic_write,  # noqa
                              load_generator_weights)
from deblurkit.engine.runner_config import (disable_pretrained,  # noqa
                                            load_runner_config)
from deblurkit.evaluation.metrics.lpips import (  # noqa: E402
    NETWORKS, default_weight_paths)
from deblurkit.models.generators.official_checkpoint import \
    CheckpointLayoutError  # noqa: E402

DATASETS = osp.join(REPO, 'configs', '_base_', 'datasets')
GUIDE = 'docs/user_guides/dataset_prepare.md'

#: Per test set: its dataset config, the folder its data_root names by
#: default, what must be inside, the protocol in words, whether the
#: CW-SSIM/LPIPS columns apply, and the alignment LPIPS must follow.
TEST_SETS = {
    'gopro': dict(
        config='gopro.py', root='data/GoPro/test', needs='',
        what="GOPRO_Large's test/ (one folder per sequence with blur/ and "
        'sharp/)', protocol='full frames', cw_ssim=True, lpips=True),
    'hide': dict(
        config='hide.py', root='data/HIDE', needs='test',
        what='HIDE_dataset (test/ and GT/)', protocol='full frames',
        cw_ssim=True, lpips=True),
    'realblur_j': dict(
        config='realblur_j.py', root='data/RealBlur',
        needs='RealBlur_J_test_list.txt',
        what='RealBlur (RealBlur_J_test_list.txt and the '
        'RealBlur-J_ECC_IMCORR_centroid_itensity_ref/ folder)',
        protocol='RealBlur: registered (ECC homography), overlap only',
        cw_ssim=False, lpips=True, align='realblur'),
    'realblur_r': dict(
        config='realblur_r.py', root='data/RealBlur',
        needs='RealBlur_R_test_list.txt',
        what='RealBlur (RealBlur_R_test_list.txt and the '
        'RealBlur-R_BM3D_ECC_IMCORR_centroid_itensity_ref/ folder)',
        protocol='RealBlur: registered (ECC homography), overlap only',
        cw_ssim=False, lpips=True, align='realblur'),
    'kohler': dict(
        config='kohler.py', root='data/Kohler', needs='BlurryImages',
        what='the Kohler benchmark (BlurryImages/ and GroundTruth/)',
        protocol='Kohler: best registered frame of the camera path',
        cw_ssim=False, lpips=False),
    'dvd': dict(
        config='dvd.py', root='data/DVD/quantitative_datasets', needs='',
        what="DeepVideoDeblurring_Dataset's quantitative_datasets/ (one "
        'folder per video with input/ and GT/)',
        protocol='full frames, 10 test videos', cw_ssim=True, lpips=True),
    'lai': dict(
        config='lai.py', root='data/Lai/real_dataset', needs='',
        what="Lai et al.'s real blurred images", cw_ssim=False,
        protocol='no ground truth: outputs saved, Laplacian variance',
        lpips=False),
    'nfs': dict(
        config='nfs.py', root='data/NFS/test', needs='',
        what='NFS blurred frames', cw_ssim=False,
        protocol='no ground truth: outputs saved, Laplacian variance',
        lpips=False),
}

#: The report's columns: (header, metric key in the Runner's results).
COLUMNS = [('PSNR', 'PSNR'), ('SSIM', 'SSIM'), ('CW-SSIM', 'CW-SSIM'),
           ('LPIPS', 'LPIPS'), ('LapVar', 'LapVar')]


class _ReportRunner(Runner):
    """mmengine's Runner without the start-up log of the environment and
    the config, and without the config dump in its work_dir: the report
    records the config it ran, and these cost seconds per test set
    (subprocesses, yapf formatting)."""

    def _log_env(self, env_cfg):
        pass

    def dump_config(self):
        pass


class ReportError(Exception):
    """A problem with the user's input, reported in one line."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate a checkpoint on the benchmarks, each under '
        'its own protocol, and write Markdown/CSV/JSON tables.',
        formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument('checkpoint', help='deblurkit or official checkpoint')
    parser.add_argument(
        '--test-sets', nargs='+', default=['gopro', 'hide', 'realblur_j',
                                           'realblur_r', 'kohler', 'dvd'],
        choices=sorted(TEST_SETS), metavar='SET',
        help=f'which benchmarks ({", ".join(TEST_SETS)}); default: the '
        "paper's six")
    parser.add_argument('--out', default='work_dirs/eval_report',
                        help='folder for report.md, report.csv, report.json')
    parser.add_argument(
        '--data-root', nargs='+', default=[], metavar='SET=PATH',
        help='where a test set is, e.g. gopro=/mnt/GOPRO_Large/test')
    parser.add_argument('--no-cw-ssim', action='store_true',
                        help='skip CW-SSIM (about 10 s per 720p image on '
                        'one CPU core)')
    parser.add_argument('--lpips', choices=['alex', 'vgg', 'none'],
                        default='alex', help='LPIPS network (default alex)')
    parser.add_argument('--lpips-backbone', help="torchvision's ImageNet "
                        'weights file of the LPIPS network')
    parser.add_argument('--lpips-linear', help="the lpips package's "
                        'linear-layer file (weights/v0.1/alex.pth)')
    parser.add_argument('--max-images', type=int, metavar='N',
                        help='only the first N images of each set (a '
                        'quick look, not the protocol)')
    parser.add_argument('--kohler-frame-step', type=int, default=1,
                        metavar='N', help='score every N-th frame of the '
                        'camera path (1: all, the protocol)')
    parser.add_argument('--save-images', action='store_true',
                        help='also save the outputs of the sets with '
                        'ground truth (those without are always saved)')
    parser.add_argument('--shape', type=int, nargs=2, default=[720, 1280],
                        metavar=('H', 'W'),
                        help='input size for the MACs column (default '
                        '720 1280)')
    parser.add_argument('--no-macs', action='store_true',
                        help='leave the MACs and parameters columns empty')
    parser.add_argument('--device', default=None,
                        help="'cpu' or 'cuda' (default: cuda if available)")
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override model config keys')
    return parser.parse_args(argv)


def data_roots(args):
    roots = {name: spec['root'] for name, spec in TEST_SETS.items()}
    for item in args.data_root:
        name, sep, path = item.partition('=')
        if not sep or name not in TEST_SETS or not path:
            raise ReportError(
                f'--data-root {item!r}: expected SET=PATH with SET one of '
                f'{", ".join(TEST_SETS)}.')
        roots[name] = path
    return roots


def missing_line(name, root):
    """Why a test set is skipped and where to put it, or None."""
    spec = TEST_SETS[name]
    target = osp.join(root, spec['needs']) if spec['needs'] else root
    if osp.exists(target):
        return None
    return (f'skipped {name}: {target} not found; put {spec["what"]} at '
            f'{root} (see {GUIDE}) or pass --data-root {name}=PATH')


def lpips_setup(args):
    """``(metric dict or None, note)`` for the LPIPS column."""
    if args.lpips == 'none':
        return None, 'LPIPS: not requested (--lpips none)'
    backbone, linear = default_weight_paths(args.lpips)
    backbone = args.lpips_backbone or backbone
    linear = args.lpips_linear or linear
    spec = NETWORKS[args.lpips]
    for what, path, option, file in (
            ('ImageNet backbone', backbone, '--lpips-backbone',
             spec['backbone_file']),
            ('linear layers', linear, '--lpips-linear', spec['linear_file'])):
        if not path or not osp.isfile(path):
            return None, (f'LPIPS: skipped, the {what} weights ({file}) '
                          f'are not at {path or "<lpips not installed>"}; '
                          f'give {option} PATH (docs/user_guides/'
                          'evaluation.md#lpips)')
    return dict(type='LPIPS', net=args.lpips, backbone_weights=backbone,
                linear_weights=linear), f'LPIPS: {args.lpips} v0.1'


def set_config(args, name, root, lpips_metric, images_dir):
    """The Runner config of one test set."""
    spec = TEST_SETS[name]
    cfg = load_runner_config(
        args.config, args.cfg_options,
        osp.join(args.out, 'work_dirs', name), 'none',
        osp.join(DATASETS, spec['config']))
    disable_pretrained(cfg.model)
    cfg.load_from = None
    cfg.log_level = 'WARNING'
    # Testing only: nothing of training or validation is built.
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                'param_scheduler', 'val_dataloader', 'val_cfg',
                'val_evaluator'):
        cfg[key] = None
    # The report's own outputs only: no visualisation triplets.
    cfg.custom_hooks = [
        h for h in cfg.get('custom_hooks', [])
        if h.get('type') != 'DeblurVisualizationHook'
    ]
    cfg.test_dataloader.dataset.data_root = root
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    if args.max_images:
        cfg.test_dataloader.dataset.indices = args.max_images
    evaluator = list(cfg.test_evaluator)
    if spec['cw_ssim'] and not args.no_cw_ssim:
        evaluator.append(dict(type='CWSSIM'))
    if spec['lpips'] and lpips_metric is not None:
        evaluator.append(dict(lpips_metric, align=spec.get('align'),
                              device=args.device))
    if name == 'kohler':
        evaluator = [dict(m, frame_step=args.kohler_frame_step)
                     for m in evaluator]
    cfg.test_evaluator = evaluator
    if images_dir:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='SaveDeblurredImagesHook', out_dir=images_dir)
        ]
    return cfg


def run_set(args, name, root, lpips_metric):
    """Evaluate one test set; returns its row of the report."""
    spec = TEST_SETS[name]
    no_gt = name in ('lai', 'nfs')
    images_dir = (osp.join(args.out, 'images', name)
                  if no_gt or args.save_images else None)
    cfg = set_config(args, name, root, lpips_metric, images_dir)
    runner = _ReportRunner.from_cfg(cfg)
    model = getattr(runner.model, 'module', runner.model)
    load_generator_weights(model, args.checkpoint)
    total = len(runner.test_dataloader.dataset)
    times = []
    test_step = runner.model.test_step
    bar = tqdm(total=total, desc=f'{name:<10}', unit='img', file=sys.stderr)

    def timed_test_step(data):
        if args.device == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        outputs = test_step(data)
        if args.device == 'cuda':
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) / max(len(outputs), 1))
        bar.update(len(outputs))
        return outputs

    runner.model.test_step = timed_test_step
    try:
        metrics = runner.test()
    finally:
        bar.close()
    per_image, flagged = {}, []
    for metric in runner.test_evaluator.metrics:
        for key, value in getattr(metric, 'per_image_results', []):
            entry = per_image.setdefault(key, {})
            if isinstance(value, dict):
                entry.update(value)
            else:
                entry[getattr(metric, 'METRIC', type(metric).__name__)] = value
        flagged += getattr(metric, 'unaligned_keys', [])
    # The first image includes warm-up; report the median of the rest.
    steady = sorted(times[1:] or times)
    return dict(
        test_set=name, status='ok', protocol=spec['protocol'], images=total,
        metrics={k: float(v) for k, v in metrics.items()},
        seconds_per_image=steady[len(steady) // 2] if steady else None,
        unaligned=sorted(set(flagged)), images_dir=images_dir,
        data_root=root, per_image=per_image)


def complexity(args):
    """``(GMACs, M params)`` of the generator at ``--shape``, or Nones."""
    from tools.analysis_tools.get_flops import generator_complexity
    try:
        generator = build_generator(args.config, args.cfg_options)
        macs, params = generator_complexity(generator, tuple(args.shape))
    except Exception as e:  # complexity is a column, not a reason to stop
        print(f'warning: MACs not counted: {e}', file=sys.stderr)
        return None, None
    return macs / 1e9, params / 1e6


def _fmt(value, digits):
    return '' if value is None else f'{value:.{digits}f}'


def table_rows(rows):
    """The rows of the report tables, as lists of strings."""
    out = []
    for row in rows:
        if row['status'] != 'ok':
            continue
        m = row['metrics']
        cells = [row['test_set'], row['protocol'], str(row['images'])]
        cells += [
            _fmt(m.get(key), 2 if key in ('PSNR', 'LapVar') else 4)
            for _, key in COLUMNS
        ]
        cells.append(_fmt(row['seconds_per_image'], 3))
        cells.append(f'{len(row["unaligned"])} unaligned'
                     if row['unaligned'] else '')
        out.append(cells)
    return out


HEADER = (['Test set', 'Protocol', 'Images'] + [c for c, _ in COLUMNS] +
          ['s / image', 'Flags'])


def markdown(report):
    lines = [
        '# Evaluation report', '',
        f'- config: `{report["config"]}`',
        f'- checkpoint: `{report["checkpoint"]}`',
        f'- device: {report["device"]}, {report["date"]}',
        f'- generator: {_fmt(report["gmacs"], 2)} GMACs at '
        f'{report["shape"][0]}x{report["shape"][1]}, '
        f'{_fmt(report["mparams"], 2)} M parameters',
        f'- {report["lpips_note"]}', '',
        '| ' + ' | '.join(HEADER) + ' |',
        '|' + '|'.join('---' for _ in HEADER) + '|',
    ]
    lines += ['| ' + ' | '.join(r) + ' |' for r in table_rows(report['rows'])]
    notes = [r['message'] for r in report['rows'] if r['status'] != 'ok']
    if notes:
        lines += [''] + [f'- {n}' for n in notes]
    lines += [
        '', 'SSIM: MMagic/BasicSR recipe (RGB, 11x11 Gaussian); CW-SSIM: '
        'pyssim as the official test_metrics.py (gray); RealBlur and Kohler '
        'rows follow those benchmarks\' registration; LapVar: variance of '
        'the Laplacian of the output (no ground truth). Times: the model '
        'only, median per image. See docs/user_guides/evaluation.md.', ''
    ]
    return '\n'.join(lines)


def csv_text(report):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(HEADER + ['GMACs', 'M params'])
    for cells in table_rows(report['rows']):
        writer.writerow(cells + [_fmt(report['gmacs'], 2),
                                 _fmt(report['mparams'], 2)])
    return buffer.getvalue()


def check_out(args, roots):
    """The outputs must not land on or inside an input."""
    out = osp.realpath(args.out)
    for name in args.test_sets:
        root = osp.realpath(roots[name])
        if out == root or out.startswith(root.rstrip(os.sep) + os.sep):
            raise ReportError(
                f'--out {args.out!r} is inside the {name} data ({root}); '
                'choose an output folder outside the data.')
    for path in (args.checkpoint, args.config):
        if osp.dirname(osp.realpath(path)) == out and osp.basename(
                path) in ('report.md', 'report.csv', 'report.json'):
            raise ReportError(f'--out {args.out!r} would overwrite {path!r}.')


@tool_main
def main(argv=None):
    args = parse_args(argv)
    try:
        if not osp.isfile(args.config):
            raise ReportError(f'config {args.config!r} does not exist.')
        if not osp.isfile(args.checkpoint):
            raise ReportError(f'checkpoint {args.checkpoint!r} does not '
                              'exist.')
        if args.max_images is not None and args.max_images < 1:
            raise ReportError('--max-images must be >= 1.')
        if args.kohler_frame_step < 1:
            raise ReportError('--kohler-frame-step must be >= 1.')
        roots = data_roots(args)
        check_out(args, roots)
    except ReportError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    args.device = args.device or ('cuda' if torch.cuda.is_available() else
                                  'cpu')
    lpips_metric, lpips_note = lpips_setup(args)
    print(lpips_note, file=sys.stderr)
    rows, failed = [], False
    for name in dict.fromkeys(args.test_sets):
        message = missing_line(name, roots[name])
        if message:
            print(message, file=sys.stderr)
            rows.append(dict(test_set=name, status='skipped',
                             message=message))
            continue
        try:
            rows.append(run_set(args, name, roots[name], lpips_metric))
        except (CheckpointLayoutError, UnsafeCheckpointError) as e:
            print(f'error: checkpoint {args.checkpoint}: '
                  f'{str(e).strip().splitlines()[0]}', file=sys.stderr)
            return 1
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            failed = True
            message = f'error in {name}: {str(e).strip().splitlines()[0]}'
            print(message, file=sys.stderr)
            rows.append(dict(test_set=name, status='error', message=message))
    gmacs, mparams = (None, None) if args.no_macs else complexity(args)
    report = dict(
        config=args.config, checkpoint=args.checkpoint, device=args.device,
        date=datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        shape=list(args.shape), gmacs=gmacs, mparams=mparams,
        lpips_note=lpips_note, rows=rows)
    os.makedirs(args.out, exist_ok=True)
    for file, text in (('report.md', markdown(report)),
                       ('report.csv', csv_text(report)),
                       ('report.json', json.dumps(report, indent=2) + '\n')):
        atomic_write(osp.join(args.out, file), text, 'w', 'utf-8')
    print(markdown(report))
    print(f'wrote {osp.join(args.out, "report.md")}, report.csv, '
          'report.json')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
