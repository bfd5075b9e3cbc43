#!/usr/bin/env python
"""Peak memory of whole-image vs tiled inference, and how far apart they are.

    python tools/analysis_tools/tile_memory.py --height 4000 --width 6000 \\
        --tile 512 --tile-overlap 32

Part 1 runs ``deblur_image`` on one ``H x W`` uint8 image, once whole and
once with ``--tile``, each in a fresh process, and reports that process's
peak resident set size (``getrusage().ru_maxrss``: everything the process
held at its peak: Python, torch, the model, the image and the activations)
next to its RSS just before the call (model and image loaded), and the
time taken.

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
import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from mmengine.config import Config

from deblurkit.apis import deblur_image, init_model
from deblurkit.cli import (CONFIG_HELP, HelpFormatter, config_file,
                           tool_main)

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


def child(args):
    """Measure one run in this process; prints a JSON line."""
    model = build_model(args.config, args.checkpoint)
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (args.height, args.width, 3), dtype=np.uint8)
    before = current_rss_mb()
    start = time.perf_counter()
    tile = args.tile if args.child == 'tiled' else None
    deblur_image(model, img, tile=tile, tile_overlap=args.tile_overlap)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(mode=args.child, before_mb=before, peak_mb=peak,
                          seconds=seconds)))


def measure(args, mode):
    cmd = [
        sys.executable, __file__, '--child', mode, '--config', args.config,
        '--height', str(args.height), '--width', str(args.width), '--tile',
        str(args.tile), '--tile-overlap', str(args.tile_overlap)
    ] + (['--checkpoint', args.checkpoint] if args.checkpoint else [])
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        return dict(mode=mode, error=result.stderr.strip().splitlines()[-1:])
    return json.loads(result.stdout.strip().splitlines()[-1])


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
    parser.add_argument('--child', choices=('whole', 'tiled'),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    if args.child:
        child(args)
        return 0
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
