#!/usr/bin/env python
"""Parameters and MACs of a config's generator.

    python tools/analysis_tools/get_flops.py \
        configs/deblurganv2_mobilenet_gopro.py --shape 720 1280

MACs are counted by mmengine's analysis tool (one multiply-accumulate = 1),
for a batch of one image of the given size (padded to a multiple of the
generator's ``pad_multiple``, 32 for the FPN generators, as at inference).
Works with any generator. Normalisation, activations and upsampling are
not counted.
"""
import argparse
import logging
import sys

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import DictAction
from mmengine.logging import MMLogger

from deblurkit.apis.init_model import build_generator
from deblurkit.cli import (CONFIG_HELP, HelpFormatter, config_file,
                           tool_main)
from deblurkit.models.generators.contract import SizeAdapter


def generator_complexity(generator, shape):
    """``(macs, params)`` of ``generator`` for one ``(H, W)`` image."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)  # it warns about every uncounted op
    try:
        with torch.no_grad():
            info = get_model_complexity_info(
                SizeAdapter(generator.eval()),
                input_shape=(3, *shape),
                show_table=False,
                show_arch=False)
    finally:
        logger.setLevel(level)
    return info['flops'], info['params']


@tool_main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument(
        '--shape', type=int, nargs=2, default=[720, 1280], metavar=('H', 'W'),
        help='input size (padded as the generator pads it)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. model.generator.neck.num_filters=64')
    args = parser.parse_args(argv)
    generator = build_generator(args.config, args.cfg_options)
    macs, params = generator_complexity(generator, tuple(args.shape))
    h, w = args.shape
    print(f'config: {args.config}\ninput: 1x3x{h}x{w}\n'
          f'generator MACs: {macs / 1e9:.2f} G\n'
          f'generator parameters: {params / 1e6:.2f} M')
    return 0


if __name__ == '__main__':
    sys.exit(main())
