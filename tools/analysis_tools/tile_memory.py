#!/usr/bin/env python
"""Peak memory of whole-image vs tiled inference, and how far apart they are.

    python tools/analysis_tools/tile_memory.py --height 4000 --width 6000 \\
        --tile 512 --tile-overlap 32

Part 1 runs ``deblur_image`` on one ``H x W`` uint8 image, once whole and
once with ``--tile``, each in a fresh process
(:class:`~tools.analysis_tools.subprocess_worker.SubprocessWorker`, with
the CPU allocator tuned as ``tools/deblur.py`` tunes it unless
``DEBLURKIT_TUNE_MALLOC=0``), and reports that process's peak resident set
size (``getrusage().ru_maxrss``: everything the process held at its peak:
Python, torch, the model, the image and the activations) next to its RSS
just before the call (model and image loaded), and the time taken.

Part 2 deblurs a synthetic blurred image (dead leaves + camera shake,
``--compare-size``) whole and tiled, in the config's norm mode and with
running statistics, and reports the PSNR and largest absolute difference
between the two outputs (8-bit). Per-image normalisation makes each tile
use its own statistics, so the outputs differ; with running statistics the
network is convolutional and they nearly agree.

The generator is the one of ``--config`` (default: the released FPN
MobileNet) with random weights unless ``--checkpoint`` is given.
"""
import argparse
import os.path as osp
import resource
import sys
import time

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)  # for tools.analysis_tools.subprocess_worker

from mmengine.config import Config  # noqa: E402

from deblurkit.apis import deblur_image, init_model  # noqa: E402
from deblurkit.cli import (CONFIG_HELP, HelpFormatter,  # noqa: E402
                           config_file, tool_main)
from deblurkit.runtime import tune_cpu_allocator  # noqa: E402
from tools.analysis_tools.subprocess_worker import (  # noqa: E402
    SubprocessWorker, WorkerError)

DEFAULT_CONFIG = 'configs/_base_/models/deblurganv2_fpn_mobilenet.py'


def build_model(config, checkpoint=None, norm_stats=None):
    """The config's generator in a bare DeblurGANv2 (no discriminator, no
    loss network), so only the generator's memory is measured."""
    generator = Config.fromfile(config).model.generator
    generator.backbone.pretrained = False
    if norm_stats is not None:
        generator.norm_stats = norm_stats
    cfg = Config(
        dict(model=dict(type='DeblurGANv2', generator=generator,
                        discriminator=None, content_loss=dict(type='L1Loss'))))
    torch.manual_seed(0)
    return init_model(cfg, checkpoint)


def current_rss_mb():
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class MemoryRun:
    """One ``deblur_image`` call (whole, or tiled with ``tile``), measured in
    a process of its own (built there by :class:`SubprocessWorker`).

    Args:
        spec (dict): ``config``, ``checkpoint``, ``height``, ``width``,
            ``tile`` (None: whole) and ``tile_overlap``.
    """

    def __init__(self, spec):
        tune_cpu_allocator()  # as tools/deblur.py runs on the CPU
        self.spec = spec
        self.model = build_model(spec['config'], spec['checkpoint'])
        rng = np.random.default_rng(0)
        self.img = rng.integers(0, 256, (spec['height'], spec['width'], 3),
                                dtype=np.uint8)

    def run(self):
        """``before_mb``, ``peak_mb`` and ``seconds`` of the call."""
        before = current_rss_mb()
        start = time.perf_counter()
        deblur_image(self.model, self.img, tile=self.spec['tile'],
                     tile_overlap=self.spec['tile_overlap'])
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return dict(before_mb=before, peak_mb=peak, seconds=seconds)


def measure(args, mode):
    """The row of one run (``mode``: ``'whole'`` or ``'tiled'``), or
    ``dict(mode=mode, error=...)`` if its process failed."""
    spec = dict(config=args.config, checkpoint=args.checkpoint,
                height=args.height, width=args.width,
                tile=args.tile if mode == 'tiled' else None,
                tile_overlap=args.tile_overlap)
    try:
        with SubprocessWorker(MemoryRun, spec) as worker:
            return dict(mode=mode, **worker.call('run'))
    except WorkerError as err:
        return dict(mode=mode, error=str(err).strip().splitlines()[-1:])


def compare(args):
    from deblurkit.synthesis import dead_leaves_image, synthesize_pair
    rng = np.random.default_rng(0)
    height, width = args.compare_size
    blurred, _ = synthesize_pair(dead_leaves_image((height, width), rng), rng)
    bgr = np.rint(blurred[..., ::-1] * 255).astype(np.uint8)
    rows = []
    for norm_stats in (None, 'running'):
        model = build_model(args.config, args.checkpoint, norm_stats)
        whole = deblur_image(model, bgr).astype(np.float64)
        tiled = deblur_image(model, bgr, tile=args.tile,
                             tile_overlap=args.tile_overlap).astype(np.float64)
        mse = np.mean((whole - tiled)**2)
        rows.append(dict(
            norm_stats=model.generator.norm_stats,
            psnr_db=float('inf') if mse == 0 else 10 * np.log10(255**2 / mse),
            max_abs=float(np.abs(whole - tiled).max()),
            mean_abs=float(np.abs(whole - tiled).mean()),
            change_by_network=float(np.abs(whole - bgr).mean())))
    return rows


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG, type=config_file,
                        help='config whose model.generator is measured: '
                        + CONFIG_HELP)
    parser.add_argument('--checkpoint', help='weights (default: random)')
    parser.add_argument('--height', type=int, default=4000,
                        help='height of the large image')
    parser.add_argument('--width', type=int, default=6000,
                        help='width of the large image')
    parser.add_argument('--tile', type=int, default=512,
                        help='tile size of the tiled run')
    parser.add_argument('--tile-overlap', type=int, default=32,
                        help='overlap of neighbouring tiles')
    parser.add_argument('--compare-size', type=int, nargs=2,
                        default=(720, 1280), metavar=('H', 'W'),
                        help='size of the tiled-against-whole output '
                        'comparison (part 2)')
    parser.add_argument('--skip-whole', action='store_true',
                        help='measure the tiled run only')
    parser.add_argument('--compare-only', action='store_true',
                        help='skip the memory runs (part 1)')
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    if not args.compare_only:
        measure_memory(args)
    compare_outputs(args)
    return 0


def measure_memory(args):
    weights = args.checkpoint or 'random weights'
    print(f'# {args.height}x{args.width} uint8 RGB, generator of '
          f'{args.config}, {weights}, {torch.get_num_threads()} CPU threads')
    print('| run | RSS before (MiB) | peak RSS (MiB) | time (s) |')
    print('|---|---|---|---|')
    modes = ['tiled'] + ([] if args.skip_whole else ['whole'])
    for mode in modes:
        row = measure(args, mode)
        label = (f'tiled {args.tile}/{args.tile_overlap}'
                 if mode == 'tiled' else 'whole image')
        if 'error' in row:
            print(f'| {label} | failed: {row["error"]} | | |')
        else:
            print(f'| {label} | {row["before_mb"]:.0f} | '
                  f'{row["peak_mb"]:.0f} | {row["seconds"]:.1f} |')


def compare_outputs(args):
    height, width = args.compare_size
    print(f'\n# whole vs tiled ({args.tile}/{args.tile_overlap}) on a '
          f'{height}x{width} synthetic blurred image, 8-bit outputs')
    print('| norm_stats | PSNR (dB) | max abs | mean abs | mean |whole - '
          'input| |')
    print('|---|---|---|---|---|')
    for row in compare(args):
        print(f'| {row["norm_stats"]} | {row["psnr_db"]:.2f} | '
              f'{row["max_abs"]:.0f} | {row["mean_abs"]:.2f} | '
              f'{row["change_by_network"]:.2f} |')


if __name__ == '__main__':
    sys.exit(main())
