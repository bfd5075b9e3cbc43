"""Synthesise a blur dataset (GoPro layout) from dead leaves or your photos.

Examples::

    # procedural sharp images, 400 + 40 pairs of 192 x 192
    python tools/dataset_converters/synthesize_blur.py --out data/synth \\
        --num-train 400 --num-test 40 --size 192 192 --seed 0

    # crops of your own sharp photos
    python tools/dataset_converters/synthesize_blur.py --out data/mine \\
        --sharp-dir ~/photos --num-train 2000 --num-test 100 --size 256 256

Writes OUT/{train,test}/<sequence>/{blur,sharp}/NNNNNN.png and
OUT/synthesis.json; see docs/user_guides/synthesize_data.md.
"""
import argparse
import sys
import time
import warnings

from deblurkit.cli import HelpFormatter
from deblurkit.synthesis import (BLUR_MODELS, BlurSettings, SynthesisError,
                                 write_blur_dataset)


def _off_or(kind, low, high):
    """argparse type: ``'off'`` (None) or a ``kind`` in ``[low, high]``."""

    def parse(text):
        if text.lower() in ('off', 'none', 'no'):
            return None
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'expected "off" or a number, got {text!r}') from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f'expected "off" or a value in [{low}, {high}], got {text}')
        return value

    return parse


def build_parser():
    parser = argparse.ArgumentParser(
        description='Synthesise (blurred, sharp) pairs in the GoPro layout: '
        'OUT/{train,test}/<sequence>/{blur,sharp}/NNNNNN.png.',
        formatter_class=HelpFormatter)
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--num-train', type=int, default=240, help='train pairs')
    parser.add_argument(
        '--num-test', type=int, default=24, help='test pairs')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=(192, 192),
        metavar=('H', 'W'),
        help='image height and width')
    parser.add_argument('--seed', type=int, default=0, help='seed')
    parser.add_argument(
        '--sharp-dir',
        help='folder of your own sharp photos to crop (searched '
        'recursively); default: procedural dead-leaves images')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace the train/, test/ and synthesis.json of a previous '
        'run in --out')
    parser.add_argument(
        '--blur',
        choices=BLUR_MODELS,
        default='mixed',
        help='gopro: frame averaging along a camera trajectory; kernel: '
        'random-trajectory kernel convolution; mixed: half each')
    parser.add_argument(
        '--max-length',
        type=float,
        default=25.0,
        help='longest blur trajectory in pixels')
    parser.add_argument(
        '--still-prob',
        type=float,
        default=0.1,
        help='share of pairs blurred by a nearly still path (under 1.5 px), '
        'which teach a model to leave sharp detail alone')
    parser.add_argument(
        '--noise',
        type=_off_or(float, 0, 255),
        default=2.0,
        help='largest sensor-noise std in 8-bit levels, given to half the '
        'pairs, or "off"')
    parser.add_argument(
        '--jpeg',
        type=_off_or(int, 1, 95),
        default=None,
        help='lowest JPEG quality (half the pairs get a quality in '
        '[JPEG, 95]), or "off" (default: off)')
    parser.add_argument(
        '--max-rotation', type=float, default=3.0,
        help='largest in-plane rotation of the gopro model, in pixels at '
        'the image corners')
    parser.add_argument(
        '--random-centre', action='store_true',
        help='rotate about a random point instead of the image centre '
        '(blur that varies over the image)')
    parser.add_argument(
        '--linear-noise', action='store_true',
        help='add the noise to the linear (raw) signal before the sRGB '
        'encoding, as a sensor does')
    parser.add_argument(
        '--tone', type=float, default=0.0,
        help='random tone curve x**g on both images, |log g| up to this')
    parser.add_argument(
        '--lens-sigma', type=float, default=0.0,
        help='soften each sharp image by a Gaussian lens blur of a sigma '
        'drawn up to this many pixels (both images of the pair; for '
        'procedural images, which are sharper than any photograph)')
    parser.add_argument(
        '--leaf-power', type=float, nargs=2, metavar=('LOW', 'HIGH'),
        help='range of the dead-leaves size exponent (default 2.6 3.2; '
        'lower gives larger regions)')
    parser.add_argument(
        '--surface-grain', type=float, default=0.0,
        help='share of dead leaves given a fine 1/f surface texture')
    parser.add_argument(
        '--per-sequence',
        type=int,
        default=12,
        help='pairs per sequence folder')
    parser.add_argument(
        '--workers',
        type=int,
        default=None,
        help='processes (default: one per CPU); the output does not '
        'depend on it')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    return parser


def _dead_leaves_options(args):
    options = {}
    if args.leaf_power:
        options['power'] = list(args.leaf_power)
    if args.surface_grain:
        options['surface_prob'] = args.surface_grain
    return options


def _print_warning(message, category, filename, lineno, file=None,
                   line=None):
    print(f'warning: {message}', file=sys.stderr)


def main(argv=None):
    """Run the tool; returns the exit code (0 on success)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed
        return e.code
    try:
        settings = BlurSettings(
            blur=args.blur,
            max_length=args.max_length,
            still_prob=args.still_prob,
            noise=args.noise or 0.0,
            jpeg_quality=args.jpeg,
            max_rotation_px=args.max_rotation,
            random_centre=args.random_centre,
            linear_noise=args.linear_noise,
            tone=args.tone,
            lens_sigma=args.lens_sigma)
        if not 0 <= args.surface_grain <= 1:
            raise ValueError('--surface-grain must be in [0, 1], got '
                             f'{args.surface_grain}.')
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('always')
        warnings.showwarning = _print_warning
        try:
            manifest = write_blur_dataset(
                args.out,
                args.num_train,
                args.num_test,
                size=args.size,
                seed=args.seed,
                sharp_dir=args.sharp_dir,
                settings=settings,
                per_sequence=args.per_sequence,
                overwrite=args.overwrite,
                workers=args.workers,
                progress=not args.no_progress,
                dead_leaves=_dead_leaves_options(args))
        except SynthesisError as e:
            print(f'error: {e}', file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(
                f'\ninterrupted: {args.out} holds an incomplete dataset '
                '(every pair on disk is whole). Rerun with --overwrite to '
                'start clean.',
                file=sys.stderr)
            return 130
    print(f'wrote {manifest["num_train"]} train and {manifest["num_test"]} '
          f'test pairs of {args.size[0]}x{args.size[1]} to {args.out} in '
          f'{time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
