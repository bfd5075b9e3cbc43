#!/usr/bin/env python
"""Export a config's generator with its weights to ONNX, and check it.

    python tools/deployment/export_onnx.py \\
        configs/deblurganv2_mobilenet_gopro.py fpn_mobilenet.h5 \\
        fpn_mobilenet.onnx --shape 736 1280 --dynamic

CHECKPOINT may be a deblurkit checkpoint, an official ``.h5`` or MMagic's
republication (anything ``init_model`` loads). Per-image normalisation (the
official predictor's statistics, the default) is written as ONNX
``InstanceNormalization`` with the layers' affine weights; ``--norm-stats
running`` writes fixed affine maps instead. Any generator exports (the
generator contract of ``deblurkit.models.generators.contract``); the graph
pads H and W to multiples of the generator's ``pad_multiple`` (32 for the
FPN generators) by reflection and crops back. The model is written under a
temporary name and renamed when complete. When onnxruntime is installed
(``pip install -e .[onnx]``) the tool runs the model and compares it with
PyTorch; a difference above ``--atol`` is an error (exit status 1).
"""
import argparse
import sys

from mmengine.config import DictAction

from deblurkit.apis import init_model
from deblurkit.cli import (CONFIG_HELP, HelpFormatter, config_file,
                           tool_main)
from deblurkit.models.generators.fast.onnx_export import (DEFAULT_OPSET,
                                                          check_onnx,
                                                          export_onnx)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument('checkpoint', help='deblurkit, official or MMagic '
                        'checkpoint')
    parser.add_argument('out', help='output .onnx file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[736, 1280],
        metavar=('H', 'W'),
        help='input size of the example (and of the model unless '
        '--dynamic)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='batch size of the example (and of the model '
                        'unless --dynamic)')
    parser.add_argument(
        '--dynamic',
        action='store_true',
        help='dynamic batch, height and width')
    parser.add_argument(
        '--norm-stats',
        choices=('per_image', 'running'),
        default=None,
        help="normalisation statistics (default: the config's, "
        "'per_image' for the released models)")
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET,
                        help='ONNX opset version')
    parser.add_argument(
        '--dynamo',
        action='store_true',
        help="use torch's dynamo-based exporter (needs onnxscript)")
    parser.add_argument(
        '--atol',
        type=float,
        default=1e-4,
        help='largest accepted |onnxruntime - torch| (default 1e-4)')
    parser.add_argument(
        '--no-check',
        action='store_true',
        help='skip the ONNX Runtime comparison')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. model.generator.norm_stats=running')
    args = parser.parse_args(argv)
    if min(args.shape) < 32:
        parser.error(f'--shape {args.shape[0]} {args.shape[1]}: both sides '
                     'must be at least 32')
    if args.batch_size < 1:
        parser.error('--batch-size must be at least 1')
    return args


def check_shapes(args):
    """The inputs the exported model is compared on."""
    h, w = args.shape
    shapes = [(args.batch_size, 3, h, w)]
    if args.dynamic:
        # Another batch and a size that needs padding.
        shapes.append((args.batch_size + 1, 3, h + 32, max(w - 7, 32)))
    return shapes


@tool_main
def main(argv=None):
    args = parse_args(argv)
    try:
        model = init_model(args.config, args.checkpoint,
                           cfg_options=args.cfg_options)
    except (OSError, KeyError, ValueError, RuntimeError) as err:
        print(f'error: cannot load {args.checkpoint!r} with {args.config!r}:'
              f' {err}', file=sys.stderr)
        return 2
    generator = model.generator
    norm_stats = args.norm_stats or getattr(generator, 'norm_stats', None)
    export_onnx(
        generator,
        args.out,
        tuple(args.shape),
        batch_size=args.batch_size,
        dynamic=args.dynamic,
        norm_stats=norm_stats,
        opset=args.opset,
        dynamo=args.dynamo)
    print(f'wrote {args.out} (norm_stats={norm_stats}, '
          f'{"dynamic" if args.dynamic else "static"} shape, opset '
          f'{args.opset})')
    if args.no_check:
        return 0
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print('onnxruntime is not installed, so the model was not checked: '
              'pip install -e .[onnx]')
        return 0
    diff = check_onnx(args.out, generator, check_shapes(args), norm_stats)
    ok = diff <= args.atol
    print(f'onnxruntime vs torch: max |diff| = {diff:.2e} '
          f'({"ok" if ok else "ABOVE"} --atol {args.atol:g})')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
