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
as it is and once with ``temporal_smoothing=MOMENTUM`` and
``temporal_mode=--mode`` (``brightness``, the default: the brightness the
model adds to each frame is smoothed; ``stats``: each norm layer's
per-image statistics; ``both``).

Reported: flicker = mean absolute difference of consecutive frames'
global means (0..255), of the sharp frames, the blurred input and each
output; the flicker the model *adds* (the same of the per-frame
difference ``mean(output) - mean(input)``, :func:`added_flicker`: 0 for
a model whose output brightness follows the input's, however much the
scene's own brightness changes); PSNR of each output against the sharp
frames. ``--scene occluder`` adds a large flat disc crossing the frame,
which moves each frame's normalisation statistics far more than a pan. Without
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
from deblurkit.video import (SCENE_CUT_THRESHOLD, TEMPORAL_MODES,  # noqa
                             run_pipeline)
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


def panning_video(frames, size, step, blur, seed=0, scene='pan',
                  noise=0.0):
    """Sharp and blurred BGR uint8 frames of a pan across one image.

    ``scene='occluder'`` adds a large flat disc, its colour far from the
    scene's mean, that crosses the frame during the pan (twice the pan's
    speed, entering at the left and leaving at the right): the content of
    the frame, and so each frame's own normalisation statistics, change
    much more than a pan alone changes them, while the rest of the scene
    only pans. ``noise``: the standard deviation (0..255) of Gaussian
    sensor noise added to each blurred frame, new in every frame.
    """
    h, w = size
    rng = np.random.default_rng(seed)
    width = w + step * frames
    image = dead_leaves_image((h, width), rng)
    if image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255).astype(np.uint8)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    kernel = np.full((1, blur), 1 / blur, np.float32)
    radius = int(0.35 * h)
    colour = tuple(int(c) for c in np.where(image.reshape(-1, 3).mean(0) >
                                            127, 20, 235))
    travel = w + 2 * radius
    sharp, blurred = [], []
    for i in range(frames):
        crop = np.ascontiguousarray(image[:, i * step:i * step + w])
        if scene == 'occluder':
            x = int(-radius + travel * i / max(frames - 1, 1))
            cv2.circle(crop, (x, h // 2), radius, colour, -1,
                       lineType=cv2.LINE_AA)
        sharp.append(crop)
        frame = cv2.filter2D(crop, -1, kernel, borderType=cv2.BORDER_REFLECT)
        if noise:
            frame = np.clip(frame + rng.normal(0, noise, frame.shape), 0,
                            255).round().astype(np.uint8)
        blurred.append(frame)
    return sharp, blurred


def flicker(frames):
    means = np.array([f.mean() for f in frames])
    return float(np.abs(np.diff(means)).mean())


def added_flicker(outputs, inputs):
    """The flicker the model adds: mean absolute frame-to-frame change of
    the model's global correction ``mean(output_t) - mean(input_t)``.

    A model whose output brightness follows its input's scores 0 however
    much the scene's own brightness changes; per-image statistics that
    pump make the correction change from frame to frame.
    """
    shift = np.array([o.mean() - float(i.mean())
                      for o, i in zip(outputs, inputs)])
    return float(np.abs(np.diff(shift)).mean())


def psnr(outputs, targets):
    mse = np.mean([np.mean((o.astype(np.float64) - t)**2)
                   for o, t in zip(outputs, targets)])
    return float(10 * np.log10(255**2 / mse))


def deblur_all(model, frames, batch_size, momentum, mode='brightness'):
    sink = ArraySink()
    run_pipeline(lambda f: deblur_images(model, f, batch_size),
                 ArraySource(frames), sink, batch_size, temporal=momentum,
                 scene_cut=SCENE_CUT_THRESHOLD, temporal_mode=mode)
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
    parser.add_argument('--scene', choices=('pan', 'occluder'),
                        default='pan',
                        help='a pan alone, or a pan with a large flat disc '
                        'crossing the frame')
    parser.add_argument('--noise', type=float, default=0.0,
                        help='sensor noise of the blurred frames (standard '
                        'deviation, 0-255)')
    parser.add_argument('--momentum', type=float, default=0.1,
                        help='weight of each new frame in the smoothed '
                        'figures')
    parser.add_argument('--mode', choices=TEMPORAL_MODES,
                        default='brightness',
                        help='what is smoothed (deblur_video\'s '
                        'temporal_mode): the brightness the model adds, '
                        'the norm layers\' per-image statistics, or both')
    parser.add_argument('--batch-size', type=int, default=4,
                        help='frames per forward pass')
    parser.add_argument(
        '--norm-stats', choices=('per_image', 'running'), default=None,
        help="the generator's normalisation statistics (default: the "
        "config's; --mode stats smooths per_image ones)")
    parser.add_argument('--out', default=None, help='write the figures as '
                        'JSON here')
    args = parser.parse_args(argv)
    options = None if args.norm_stats is None else {
        'model.generator.norm_stats': args.norm_stats}
    model = load_model(args.config, args.checkpoint, cfg_options=options)
    sharp, blurred = panning_video(args.frames, args.size, args.step,
                                   args.blur, scene=args.scene,
                                   noise=args.noise)
    plain = deblur_all(model, blurred, args.batch_size, None)
    smooth = deblur_all(model, blurred, args.batch_size, args.momentum,
                        args.mode)
    result = dict(
        config=args.config, checkpoint=args.checkpoint or 'random (seed 0)',
        frames=args.frames, size=list(args.size), step=args.step,
        blur=args.blur, scene=args.scene, noise=args.noise,
        momentum=args.momentum, mode=args.mode,
        norm_stats=args.norm_stats or 'config',
        flicker_sharp=flicker(sharp), flicker_input=flicker(blurred),
        flicker_plain=flicker(plain), flicker_smoothed=flicker(smooth),
        added_flicker_plain=added_flicker(plain, blurred),
        added_flicker_smoothed=added_flicker(smooth, blurred),
        psnr_input=psnr(blurred, sharp), psnr_plain=psnr(plain, sharp),
        psnr_smoothed=psnr(smooth, sharp))
    result['flicker_ratio'] = (result['flicker_smoothed'] /
                               result['flicker_plain'])
    result['added_flicker_ratio'] = (
        result['added_flicker_smoothed'] /
        max(result['added_flicker_plain'], 1e-12))
    report(result, args.out, width=24)
    return 0


if __name__ == '__main__':
    sys.exit(main())
