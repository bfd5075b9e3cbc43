#!/usr/bin/env python
"""Train a deblurring model with mmengine's Runner.

    python tools/train.py configs/deblurganv2_mobilenet_gopro.py
    python tools/train.py CONFIG --resume                # from the last ckpt
    python tools/train.py CONFIG --resume work_dirs/x/iter_4000.pth
    python tools/train.py CONFIG --cfg-options train_cfg.max_iters=1000 \
        model.generator.backbone.pretrained=False
    bash tools/dist_train.sh CONFIG 2                    # 2 processes
    python tools/train.py CONFIG --cfg-options load_from=fpn_mobilenet.h5
    python tools/train.py CONFIG --tensorboard           # needs [tensorboard]

The console shows a line per iteration for the first 10 iterations, then
every ``default_hooks.logger.interval`` (100), each with the ETA; the
values are described in docs/user_guides/train_test.md. mmengine's dump of
the environment, the config and the hooks goes to the log file
(``<work_dir>/<timestamp>/<timestamp>.log``) only, unless ``--verbose``.

``load_from`` (fine-tuning) and ``--resume`` read checkpoints through
deblurkit's checkpoint reader (``DeblurRunner``). Exit status: 0 done; 2 bad
input (a config or checkpoint that cannot be used, named in one ``error:``
line; also ``--tensorboard`` without the tensorboard package).
"""
import argparse
import os
import sys

from deblurkit.cli import (CONFIG_HELP, EXIT_NON_FINITE, CfgOptionsAction,
                           HelpFormatter, UserError, config_file, tool_main,
                           user_errors)
from deblurkit.engine import (build_runner, check_checkpoint_file,
                              checkpoint_errors)
from deblurkit.engine.runner_config import (TENSORBOARD_INSTALL,
                                            add_tensorboard,
                                            close_distributed,
                                            load_runner_config,
                                            prepare_distributed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train a deblurring model', formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument(
        '--work-dir',
        help='where logs and checkpoints go (default: '
        'work_dirs/<config name> in the current folder)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or without a path from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: float16 AMP on a GPU, bfloat16 autocast on '
        'a CPU with native bf16 (AVX512-BF16/AMX)')
    parser.add_argument(
        '--cpu-allocator',
        choices=('tuned', 'default'),
        default='tuned',
        help="'tuned' (default) keeps freed heap memory mapped, so the "
        "large activations of each iteration do not page-fault again "
        "(glibc's mallopt, this process and its dataloader workers); "
        "'default' leaves glibc's settings")
    parser.add_argument(
        '--tensorboard',
        action='store_true',
        help='also log to TensorBoard (event files beside scalars.json in '
        "<work_dir>/<timestamp>/vis_data; pip install "
        "'deblurkit[tensorboard]')")
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="print mmengine's environment, config and hook dump on the "
        'console too (it always goes to the log file)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config keys, e.g. train_cfg.max_iters=100')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher: pytorch under torchrun (tools/dist_train.sh), '
        'slurm under srun (tools/slurm_train.sh)')
    parser.add_argument(
        '--local_rank', '--local-rank', type=int, default=0,
        help='rank of this process on its machine; set by the launcher '
        '(LOCAL_RANK in the environment wins)')
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_amp(cfg):
    """Turn every optim wrapper of the config into a mixed-precision one:
    ``AmpOptimWrapper`` on a GPU, ``CPUBF16OptimWrapper`` otherwise."""
    import torch

    from deblurkit.engine.optimizers import enable_mixed_precision
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    try:
        enable_mixed_precision(cfg.optim_wrapper, device)
    except RuntimeError as err:
        raise UserError(f'--amp: {err}') from None


def build_cfg(args):
    cfg = load_runner_config(args.config, args.cfg_options, args.work_dir,
                             args.launcher)
    if args.amp:
        enable_amp(cfg)
    if args.tensorboard:
        try:
            add_tensorboard(cfg)
        except ImportError:
            raise UserError('--tensorboard needs the tensorboard package: '
                            f'{TENSORBOARD_INSTALL}') from None
    if args.verbose:
        cfg.log_dump_on_console = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


@tool_main
def main(argv=None):
    """Train; exit status 0 done, 2 bad command line or config (one line
    ``error: ...``), 3 a NaN or infinite loss or gradient stopped training,
    130 interrupted."""
    args = parse_args(argv)
    try:
        with user_errors(f'config {args.config}'):
            cfg = build_cfg(args)
        if cfg.get('load_from'):
            check_checkpoint_file(cfg.load_from)  # before building anything
        if args.cpu_allocator == 'tuned':
            # Process-wide, so chosen here, visibly, and not by the library.
            from deblurkit.runtime import tune_cpu_allocator
            tune_cpu_allocator(force=True)
        prepare_distributed(cfg)
        with user_errors(f'config {args.config}'):
            runner = build_runner(cfg)
        runner.train()
        close_distributed(wait_for_peers=True)
    except checkpoint_errors() as err:
        raise UserError(str(err)) from err
    except FloatingPointError as err:
        # DeblurGANv2.train_step stops before the update that would have
        # made the weights non-finite; say so in one line.
        raise UserError(f'training stopped: {err}', EXIT_NON_FINITE) from err
    finally:
        close_distributed()
    return 0


if __name__ == '__main__':
    sys.exit(main())
