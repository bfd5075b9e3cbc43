#!/usr/bin/env python
"""Draw a training run's losses and validation metrics to a PNG.

    python tools/analysis_tools/plot_curves.py \
        work_dirs/deblurganv2_mobilenet_gopro
    python tools/analysis_tools/plot_curves.py work_dirs/demo \
        --baseline PSNR=24.66 --out curves.png

RUN_DIR is a work dir (every ``<timestamp>/vis_data/scalars.json`` in it,
oldest first, so a resumed run continues its curves), one timestamp folder,
its ``vis_data`` folder or a ``scalars.json``. Each loss gets its own axis
(``loss_d`` is some 1e-4, ``loss_content`` some 1e-1: on one axis one of
them would look flat), then each validation metric; ``--baseline`` draws a
metric's value for the blurred inputs (``tools/test.py`` prints it) as a
dashed line. The PNG goes to ``--out``, by default
``<RUN_DIR>/training_curves.png``; an existing file there is replaced only
if it is a PNG. Needs matplotlib (installed with mmengine).

Exit status: 0 written; 1 the PNG could not be written; 2 bad arguments or
no training records in RUN_DIR.
"""
import argparse
import os.path as osp
import sys

from deblurkit.cli import EXIT_FAILED, HelpFormatter, UserError, tool_main
from deblurkit.fileio import OutputPathError, check_output_path

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        formatter_class=HelpFormatter,
        description="Draw a run's losses and validation metrics from its "
        'scalars.json to a PNG')
    parser.add_argument(
        'run_dir',
        metavar='RUN_DIR',
        help='work dir, timestamp folder, vis_data folder or scalars.json')
    parser.add_argument(
        '--out', help='PNG to write (default RUN_DIR/training_curves.png)')
    parser.add_argument(
        '--baseline',
        action='append',
        default=[],
        metavar='METRIC=VALUE',
        help='draw VALUE on the METRIC axis as the blurred inputs\' score, '
        'e.g. PSNR=24.66 (repeatable)')
    parser.add_argument('--title', help='the figure title')
    return parser.parse_args(argv)


def parse_baselines(items):
    baselines = {}
    for item in items:
        name, sep, value = item.partition('=')
        try:
            baselines[name.strip()] = float(value)
        except ValueError:
            sep = ''
        if not sep or not name.strip():
            raise UserError(f'--baseline {item!r}: expected METRIC=VALUE, '
                            'e.g. PSNR=24.66')
    return baselines


def default_out(run_dir):
    folder = osp.dirname(run_dir) if osp.isfile(run_dir) else run_dir
    return osp.join(folder, 'training_curves.png')


def check_out(out, inputs):
    if out.endswith(('/', osp.sep)) or osp.isdir(out):
        raise UserError(f'--out {out} is a folder; name the PNG to write')
    if osp.exists(out):
        with open(out, 'rb') as f:
            if f.read(8) != PNG_SIGNATURE:
                raise UserError(f'--out {out} exists and is not a PNG; it is '
                                'left untouched. Choose another --out.')
    try:
        check_output_path(out, [(p, 'a scalars.json of the run')
                                for p in inputs], '--out')
    except OutputPathError as err:
        raise UserError(str(err)) from None


@tool_main
def main(argv=None):
    args = parse_args(argv)
    from deblurkit.visualization.curves import (NoScalarsError, plot_curves,
                                                read_scalars, scalar_files)
    baselines = parse_baselines(args.baseline)
    if not osp.exists(args.run_dir):
        raise UserError(f'RUN_DIR {args.run_dir} does not exist')
    try:
        train, val = read_scalars(args.run_dir)
    except NoScalarsError as err:
        raise UserError(str(err)) from None
    except OSError as err:
        raise UserError(f'cannot read {args.run_dir}: {err}') from None
    out = args.out or default_out(args.run_dir)
    check_out(out, scalar_files(args.run_dir))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError('plotting needs matplotlib: pip install matplotlib'
                        ) from None
    title = args.title or osp.basename(osp.abspath(args.run_dir))
    try:
        names = plot_curves(out, train, val, baselines, title)
    except OSError as err:
        print(f'error: cannot write {out}: {err}', file=sys.stderr)
        return EXIT_FAILED
    print(f'wrote {out}: {", ".join(names)} over iterations '
          f'{train[0]["step"]}-{train[-1]["step"]} ({len(val)} validations)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
