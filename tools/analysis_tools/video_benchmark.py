#!/usr/bin/env python
"""End-to-end video speed: decode, deblur, encode (audio copied) vs the
model alone.

    python tools/analysis_tools/video_benchmark.py \\
        configs/deblurganv2_mobilenet_dsc_gopro.py --size 720 1280 \\
        --frames 30 --threads 2

Makes an H.264 clip with an AAC track (``--frames`` frames; ``--content
pan``, the default: a pan across a dead-leaves image, blurred along the
motion, with sensor noise, as camera footage; ``pattern``: a smooth
moving sine pattern, cheap to encode), then measures on the same frames,
after one warm-up frame, ``--rounds`` times in turn (model, end to end,
model, ...), so that a change of the machine's speed during the run
reaches both:

- ``model``: ``deblurkit.apis.deblur_images`` on the decoded frames held in
  memory, ``--batch-size`` at a time (the model's own time, with the
  array conversions every caller pays);
- ``end_to_end``: ``deblurkit.apis.deblur_video`` from the file to an
  H.264 file (``--codec``/``--crf``), audio copied (with
  ``--temporal-smoothing``: its cost counts as the pipeline's).

Reported: both frame rates (of the median round) and ``overhead`` = the
median over the rounds of end-to-end time / model time - 1, what the
pipeline adds (``overhead_rounds``: each round's). Part of it does not
grow with the video's length: ``fixed_seconds``, the time before the
first frame reaches the model and after the last one leaves it (mostly
the encoder's flush of the frames its look-ahead holds back);
``overhead_streaming`` is the overhead without it, what a long video
approaches. ``--device cuda --dtype fp16`` measures a GPU.

Without ``--checkpoint`` the weights are seeded random ones: the model's
speed does not depend on them, but the encoder's does, since it encodes
what the model outputs. ``--weights identity`` (the default) zeroes the
head's last convolution (``zero_init_residual``), so the model does all
its work and, through its global residual, outputs its input: the encoder
gets footage-like frames, as from a trained model. ``--weights random``
keeps it random: the output is the input plus strong noise, the
encoder's worst case (several times the bits and the CPU). Measure on an
idle machine: other processes on the cores change both figures.
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _video_common import load_model, report  # noqa: E402
from temporal_flicker import panning_video  # noqa: E402

from deblurkit.apis import deblur_images, deblur_video  # noqa: E402
from deblurkit.cli import (CONFIG_HELP, HelpFormatter,  # noqa
                           config_file, tool_main)
from deblurkit.video import pipeline  # noqa: E402
from deblurkit.video.writer import DEFAULT_PRESET  # noqa: E402


def clip_frames(frames, size, content='pan'):
    """``frames`` BGR uint8 frames of ``size`` (see the module's doc)."""
    h, w = size
    if content == 'pan':
        return panning_video(frames, size, step=8, blur=9, noise=2.0)[1]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    images = []
    for i in range(frames):
        base = 128 + 90 * np.sin((x - 8 * i) / 23) * np.cos(y / 31)
        images.append(np.stack([base, np.roll(base, 40, 1), 255 - base],
                               2).clip(0, 255).astype(np.uint8))
    return images


def make_clip(path, frames, size, fps=25, content='pan'):
    """An H.264 clip with an AAC track; returns its frames (BGR)."""
    import av
    h, w = size
    images = clip_frames(frames, size, content)
    with av.open(path, 'w') as out:
        video = out.add_stream('libx264', rate=fps,
                               options={'crf': '18', 'preset': 'fast'})
        video.width, video.height, video.pix_fmt = w, h, 'yuv420p'
        audio = out.add_stream('aac', rate=48000, layout='stereo')
        for image in images:
            for packet in video.encode(
                    av.VideoFrame.from_ndarray(image, format='bgr24')):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        n = 48000 * frames // fps
        wave = (0.2 * np.sin(np.arange(n) / 9)).astype(np.float32)
        for start in range(0, n, 1024):
            chunk = np.stack([wave[start:start + 1024]] * 2)
            frame = av.AudioFrame.from_ndarray(chunk, format='fltp',
                                               layout='stereo')
            frame.sample_rate, frame.pts = 48000, start
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    return images


def sync(device):
    if str(device).startswith('cuda'):
        torch.cuda.synchronize(device)


@tool_main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument('--checkpoint', default=None,
                        help='weights (default: seeded random ones)')
    parser.add_argument(
        '--weights', choices=('identity', 'random'), default='identity',
        help='without --checkpoint: seeded random weights whose output is '
        'the input (identity) or the input plus noise (random)')
    parser.add_argument('--content', choices=('pan', 'pattern'),
                        default='pan', help="the clip's frames")
    parser.add_argument('--size', type=int, nargs=2, default=(720, 1280),
                        metavar=('H', 'W'), help='frame size')
    parser.add_argument('--frames', type=int, default=30,
                        help='frames of the generated clip')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='frames per forward pass')
    parser.add_argument('--threads', type=int, default=2,
                        help='torch threads (the cores to use)')
    parser.add_argument('--rounds', type=int, default=3,
                        help='model-alone and end-to-end runs, in turn')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument('--dtype', choices=('fp32', 'fp16', 'bf16'),
                        default=None,
                        help="compute precision, as tools/deblur.py --dtype "
                        "(default: the device's)")
    parser.add_argument('--codec', default=None,
                        help='output codec, as tools/deblur.py --codec '
                        '(default: h264)')
    parser.add_argument('--crf', type=int, default=None,
                        help="quality, as tools/deblur.py --crf (default: "
                        "the codec's)")
    parser.add_argument('--preset', default=None,
                        help='h264/h265 speed preset, as tools/deblur.py '
                        '--preset (default: veryfast)')
    parser.add_argument(
        '--codec-nice', type=int, default=None,
        help='how much nicer the decoding and encoding threads run than '
        'the model (default: deblurkit.video.pipeline.CODEC_NICE; 0: the '
        'same priority)')
    parser.add_argument(
        '--temporal-smoothing', type=float, nargs='?', const=0.1,
        default=None, metavar='MOMENTUM',
        help='end to end with temporal smoothing, as tools/deblur.py '
        '--temporal-smoothing')
    parser.add_argument('--temporal-mode', choices=pipeline.TEMPORAL_MODES,
                        default='brightness',
                        help='as tools/deblur.py --temporal-mode')
    parser.add_argument('--out', default=None, help='JSON file of figures')
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f'--rounds must be at least 1, got {args.rounds}')
    torch.set_num_threads(args.threads)
    if args.codec_nice is not None:
        pipeline.CODEC_NICE = args.codec_nice
    identity = {'model.generator.head.zero_init_residual': True}
    model = load_model(args.config, args.checkpoint, device=args.device,
                       cfg_options=(identity if args.weights == 'identity'
                                    and not args.checkpoint else None))
    model_runs, video_runs, fixed_runs = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        src = osp.join(folder, 'clip.mp4')
        images = make_clip(src, args.frames, args.size,
                           content=args.content)
        # warm-up: the fast path is built
        deblur_images(model, images[:args.batch_size], args.batch_size,
                      dtype=args.dtype)
        for _ in range(args.rounds):
            sync(args.device)
            tick = time.perf_counter()
            for first in range(0, len(images), args.batch_size):
                deblur_images(model, images[first:first + args.batch_size],
                              args.batch_size, dtype=args.dtype)
            sync(args.device)
            model_runs.append(time.perf_counter() - tick)
            tick = time.perf_counter()
            info = deblur_video(model, src, osp.join(folder, 'out.mp4'),
                                batch_size=args.batch_size, codec=args.codec,
                                crf=args.crf, preset=args.preset,
                                temporal_smoothing=args.temporal_smoothing,
                                temporal_mode=args.temporal_mode,
                                dtype=args.dtype)
            video_runs.append(time.perf_counter() - tick)
            fixed_runs.append(info['startup_seconds'] +
                              info['drain_seconds'])
        size_mb = os.path.getsize(osp.join(folder, 'out.mp4')) / 1e6
    overheads = [v / m - 1 for m, v in zip(model_runs, video_runs)]
    streaming = [(v - f) / m - 1
                 for m, v, f in zip(model_runs, video_runs, fixed_runs)]
    result = dict(
        config=args.config, size=list(args.size), frames=args.frames,
        batch_size=args.batch_size, threads=args.threads,
        codec=args.codec or 'h264', crf=args.crf,
        preset=args.preset or DEFAULT_PRESET,
        codec_nice=pipeline.CODEC_NICE, device=args.device,
        dtype=args.dtype, rounds=args.rounds,
        weights=args.checkpoint or args.weights, content=args.content,
        temporal_smoothing=args.temporal_smoothing,
        temporal_mode=(args.temporal_mode
                       if args.temporal_smoothing is not None else None),
        model_fps=args.frames / statistics.median(model_runs),
        end_to_end_fps=args.frames / statistics.median(video_runs),
        overhead=statistics.median(overheads),
        overhead_rounds=[round(o, 4) for o in overheads],
        fixed_seconds=round(statistics.median(fixed_runs), 3),
        overhead_streaming=statistics.median(streaming),
        model_seconds=[round(t, 3) for t in model_runs],
        end_to_end_seconds=[round(t, 3) for t in video_runs],
        model_seconds_in_pipeline=info['model_seconds'],
        frames_written=info['frames'], output_mb=size_mb,
        load_average=os.getloadavg()[0])
    report(result, args.out, width=26)
    return 0


if __name__ == '__main__':
    sys.exit(main())
