#!/usr/bin/env python
"""Quantise an exported ONNX generator to int8 with calibration images.

    python tools/deployment/quantize_onnx.py fpn_mobilenet.onnx \\
        calib_images/ -o fpn_mobilenet_int8.onnx

MODEL is a float32 model of ``tools/deployment/export_onnx.py`` (export it
with ``--dynamic`` to calibrate on images of any size). CALIB_DIR is a
folder (searched recursively) of images like the ones to deblur: a few
dozen are enough; each is prepared as ``tools/deblur.py`` prepares its
inputs. The result (ONNX QDQ form: int8 per-channel convolution weights,
int8 convolution inputs and outputs; the per-image normalisation, the
FPN's sums and upsampling, and the head's last convolution in float32)
runs with ``tools/deblur.py --backend onnxruntime --checkpoint OUT``.

The output is written under a temporary name and renamed when complete;
MODEL and the images are only read. Calibration images that cannot be read
are skipped and named. Exit status: 0 written, 1 written but some images
were skipped, 2 nothing written (bad arguments, no usable image, onnxruntime
missing). Needs ``pip install -e .[onnx]`` (onnxruntime and onnx).
"""
import argparse
import os.path as osp
import sys

from deblurkit.cli import (EXIT_FAILED, EXIT_OK, HelpFormatter, UserError,
                           tool_main, user_errors)
from deblurkit.deploy.quantize import METHODS, quantize_onnx


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        formatter_class=HelpFormatter,
        description=__doc__.split('\n')[0],
        epilog='Exit status: 0 written, 1 written with some calibration '
        'images skipped, 2 nothing written.')
    parser.add_argument('model', help='float32 .onnx from export_onnx.py')
    parser.add_argument('calib_dir', help='folder of calibration images')
    parser.add_argument('-o', '--out', required=True,
                        help='the int8 .onnx to write')
    parser.add_argument('--max-images', type=int, default=None,
                        metavar='N', help='use at most N images (sorted)')
    parser.add_argument(
        '--method', choices=METHODS, default='minmax',
        help='activation ranges: minmax (default; memory does not grow '
        'with the images), entropy or percentile (hold every activation '
        'of every image in memory)')
    parser.add_argument('--activation-type', choices=('int8', 'uint8'),
                        default='int8',
                        help='integer type of the quantised activations')
    parser.add_argument(
        '--exclude-nodes', nargs='*', default=None, metavar='NODE',
        help="Conv nodes kept in float32 (default: the head's last "
        'convolution; give the option alone to quantise every Conv)')
    parser.add_argument(
        '--reduce-range', choices=('auto', 'on', 'off'), default='auto',
        help='7-bit weights, for x86 CPUs without VNNI (AVX2, AVX-512 '
        'without VNNI), whose int8 products can saturate with 8-bit ones '
        '(default auto: on when this CPU has no VNNI)')
    parser.add_argument(
        '--no-optimize', action='store_true',
        help="skip ONNX Runtime's pre-processing (constant folding, "
        'fusions) before quantisation')
    args = parser.parse_args(argv)
    if args.max_images is not None and args.max_images < 1:
        parser.error('--max-images must be >= 1')
    return args


@tool_main
def main(argv=None):
    args = parse_args(argv)
    if not args.out.lower().endswith('.onnx'):
        raise UserError(f'--out {args.out}: name an .onnx file')
    if not osp.isdir(osp.dirname(osp.abspath(args.out))):
        raise UserError(f'--out {args.out}: its folder does not exist')

    def skipped(path, reason):
        print(f'skipped {path}: {reason}', file=sys.stderr)

    with user_errors(f'cannot quantise {args.model}',
                     kinds=(OSError, ValueError, ImportError)):
        info = quantize_onnx(
            args.model, args.calib_dir, args.out,
            max_images=args.max_images, method=args.method,
            activation_type=args.activation_type,
            exclude_nodes=args.exclude_nodes,
            optimize=not args.no_optimize, on_skip=skipped,
            reduce_range={'auto': None, 'on': True,
                          'off': False}[args.reduce_range])
    print(f"wrote {args.out}: {info['quantized']} Conv nodes in int8, "
          f"{len(info['float_convs'])} in float32 "
          f"({' '.join(info['float_convs']) or 'none'}); "
          f"{'7-bit' if info['reduce_range'] else '8-bit'} weights; "
          f"{args.method} "
          f"ranges from {info['images']} image(s)"
          + (f", {len(info['skipped'])} skipped" if info['skipped'] else ''))
    return EXIT_FAILED if info['skipped'] else EXIT_OK


if __name__ == '__main__':
    sys.exit(main())
