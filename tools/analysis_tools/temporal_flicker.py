#!/usr/bin/env python
"""Flicker and PSNR of deblurred video with and without temporal smoothing.

    python tools/analysis_tools/temporal_flicker.py \\
        configs/deblurganv2_mobilenet_gopro.py --checkpoint CKPT.pth \\
        --frames 48 --size 192 256 --momentum 0.1

A synthetic panning video is made from one sharp image (a dead-leaves
image of natural statistics, ``deblurkit.synthesis``): a window
moves across it ``--step`` pixels a frame, each frame is blurred along the
motion (a horizontal box of ``--blur`` pixels), and kept as arrays (no codec in
the measurement). Every blurred frame is deblurred by
``deblurkit.apis.deblur_video``'s own pipeline (``run_pipeline``), once
with per-image statistics and once with ``temporal_smoothing=MOMENTUM``.

Reported: flicker = mean absolute difference of consecutive frames'
global means (0..255), of the sharp frames, the blurred input and each
output; PSNR of each output against the sharp frames. Without
``--checkpoint`` the weights are seeded random ones: the flicker figures
then show what the smoothing does to the normalisation, but the PSNR is
not that of a deblurring model.
"""
import argparse
import os.path as osp
import sys

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _video_common import load_model, report  # noqa: E402

from deblurkit.apis import deblur_images  # noqa: E402
from deblurkit.cli import (CONFIG_HELP, HelpFormatter,  # noqa
                           config_file, tool_main)
from deblurkit.synthesis.dead_leaves import dead_leaves_image  # noqa: E402
from deblurkit.video import SCENE_CUT_THRESHOLD, run_pipeline  # noqa: E402
from deblurkit.video.reader import VideoSource  # noqa: E402
from deblurkit.video.writer import VideoSink  # noqa: E402


class ArraySource(VideoSource):
    backend = 'arrays'

    def __init__(self, frames):
        super().__init__('<synthetic pan>')
        self.items = frames

    def frames(self):
        for i, frame in enumerate(self.items):
            self.decoded += 1
            yield frame, i


class ArraySink(VideoSink):

    def __init__(self):
        super().__init__('<memory>')
        self.frames = []

    def write(self, frame, pts):
        self.frames.append(frame)
        self.frames_in += 1

    def frames_on_disk(self):
        return len(self.frames)

    def commit(self):
        pass


def panning_video(frames, size, step, blur, seed=0):
    """Sharp and blurred BGR uint8 frames of a pan across one image."""
    h, w = size
    rng = np.random.default_rng(seed)
    width = w + step * frames
    image = dead_leaves_image((h, width), rng)
    if image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255).astype(np.uint8)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    kernel = np.full((1, blur), 1 / blur, np.float32)
    sharp, blurred = [], []
    for i in range(frames):
        crop = np.ascontiguousarray(image[:, i * step:i * step + w])
        sharp.append(crop)
        blurred.append(cv2.filter2D(crop, -1, kernel,
                                    borderType=cv2.BORDER_REFLECT))
    return sharp, blurred


def flicker(frames):
    means = np.array([f.mean() for f in frames])
    return float(np.abs(np.diff(means)).mean())


def psnr(outputs, targets):
    mse = np.mean([np.mean((o.astype(np.float64) - t)**2)
                   for o, t in zip(outputs, targets)])
    return float(10 * np.log10(255**2 / mse))


def deblur_all(model, frames, batch_size, momentum):
    sink = ArraySink()
    run_pipeline(lambda f: deblur_images(model, f, batch_size),
                 ArraySource(frames), sink, batch_size, temporal=momentum,
                 scene_cut=SCENE_CUT_THRESHOLD)
    return sink.frames


@tool_main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument('--checkpoint', default=None,
                        help='weights (default: seeded random ones)')
    parser.add_argument('--frames', type=int, default=48,
                        help='frames of the synthetic panning video')
    parser.add_argument('--size', type=int, nargs=2, default=(192, 256),
                        metavar=('H', 'W'), help='frame size')
    parser.add_argument('--step', type=int, default=6,
                        help='pan speed, pixels per frame')
    parser.add_argument('--blur', type=int, default=9,
                        help='length of the horizontal motion blur')
    parser.add_argument('--momentum', type=float, default=0.1,
                        help='weight of each new frame in the smoothed '
                        'statistics')
    parser.add_argument('--batch-size', type=int, default=4,
                        help='frames per forward pass')
    parser.add_argument(
        '--norm-stats', choices=('per_image', 'running'), default=None,
        help="the generator's normalisation statistics (default: the "
        "config's; the option smooths per_image ones)")
    parser.add_argument('--out', default=None, help='write the figures as '
                        'JSON here')
    args = parser.parse_args(argv)
    options = None if args.norm_stats is None else {
        'model.generator.norm_stats': args.norm_stats}
    model = load_model(args.config, args.checkpoint, cfg_options=options)
    sharp, blurred = panning_video(args.frames, args.size, args.step,
                                   args.blur)
    plain = deblur_all(model, blurred, args.batch_size, None)
    smooth = deblur_all(model, blurred, args.batch_size, args.momentum)
    result = dict(
        config=args.config, checkpoint=args.checkpoint or 'random (seed 0)',
        frames=args.frames, size=list(args.size), step=args.step,
        blur=args.blur, momentum=args.momentum,
        norm_stats=args.norm_stats or 'config',
        flicker_sharp=flicker(sharp), flicker_input=flicker(blurred),
        flicker_per_image=flicker(plain), flicker_smoothed=flicker(smooth),
        psnr_input=psnr(blurred, sharp), psnr_per_image=psnr(plain, sharp),
        psnr_smoothed=psnr(smooth, sharp))
    result['flicker_ratio'] = (result['flicker_smoothed'] /
                               result['flicker_per_image'])
    report(result, args.out, width=18)
    return 0


if __name__ == '__main__':
    sys.exit(main())
