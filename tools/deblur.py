#!/usr/bin/env python
"""Deblur images, folders of images and videos with a trained model.

    python tools/deblur.py blurry/ clip.mp4 'more/**/*.png' \\
        --config configs/deblurganv2_mobilenet_gopro.py \\
        --checkpoint checkpoints/deblurganv2_fpn_mobilenet.pth \\
        --out results/

Outputs keep their input's name and format under ``--out``: a file named on
the command line as ``OUT/<name>``, a file found in a folder as
``OUT/<path relative to that folder>``, a glob match as ``OUT/<path relative
to the pattern's fixed leading folders>``. Files that cannot be read or
written are named with the reason; the others are still processed; the run
ends with a summary and exits with 1 if anything failed (2 for a bad
command line, config or checkpoint). See docs/user_guides/inference.md.
"""
import argparse
import glob
import os
import os.path as osp
import sys

from mmengine.config import DictAction
from tqdm import tqdm

from deblurkit.apis import init_model
from deblurkit.apis.inference import (IMG_EXTENSIONS, VIDEO_EXTENSIONS,
                                      check_tile_options, count_video_frames,
                                      deblur_images, deblur_video,
                                      read_image_file, side_by_side,
                                      write_image_file)
from deblurkit.video import CODECS, WEBCAM_PREFIX

_GLOB_CHARS = ('*', '?', '[')


class Job:
    """One input file and the output it becomes."""

    def __init__(self, src, dst, kind):
        self.src, self.dst, self.kind = src, dst, kind


def _kind(path):
    ext = osp.splitext(path)[1].lower()
    if ext in IMG_EXTENSIONS:
        return 'image'
    if ext in VIDEO_EXTENSIONS:
        return 'video'
    return None


def _inside(path, folder):
    """Whether ``path`` is ``folder`` or below it (both real paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _outputs_below(folder, out_real):
    """The output folder if it lies below ``folder`` (its files are outputs
    of this tool, not inputs), else None."""
    folder_real = osp.realpath(folder)
    if out_real != folder_real and _inside(out_real, folder_real):
        return out_real
    return None


def _walk(folder, out_real):
    """Files below ``folder`` (sorted, hidden ones left out), not entering
    the output folder, so outputs are never read back as inputs."""
    skip = _outputs_below(folder, out_real)
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith('.')
            and osp.realpath(osp.join(root, d)) != skip)
        for name in sorted(files):
            if not name.startswith('.'):
                yield osp.join(root, name)


def _glob_base(pattern):
    """The leading folders of ``pattern`` before its first wildcard."""
    parts = pattern.replace(os.sep, '/').split('/')
    fixed = []
    for part in parts[:-1]:
        if any(c in part for c in _GLOB_CHARS):
            break
        fixed.append(part)
    return '/'.join(fixed) or '.'


def collect_jobs(inputs, out_dir):
    """Expand the INPUT arguments into jobs.

    Args:
        inputs (list[str]): Files, folders and glob patterns.
        out_dir (str): The output folder.

    Returns:
        tuple[list[Job], list[tuple[str, str]]]: The jobs, and ``(name,
        reason)`` for inputs that cannot be processed.
    """
    out_real = osp.realpath(out_dir)
    sources, failed = [], []  # sources: (file, folder it is named under)
    for arg in inputs:
        if osp.isdir(arg):
            sources += [(f, arg) for f in _walk(arg, out_real)]
        elif osp.isfile(arg):
            sources.append((arg, osp.dirname(arg)))
        elif any(c in arg for c in _GLOB_CHARS):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                failed.append((arg, 'the pattern matches no file'))
            base = _glob_base(arg)
            skip = _outputs_below(base, out_real)
            for match in matches:
                if skip and _inside(osp.realpath(match), skip):
                    continue
                if osp.isdir(match):
                    sources += [(f, base) for f in _walk(match, out_real)]
                else:
                    sources.append((match, base))
        else:
            failed.append((arg, 'no such file or folder'))
    input_files = {osp.realpath(src) for src, _ in sources}
    jobs, claimed = [], {}
    for src, base in sources:
        kind = _kind(src)
        dst = osp.normpath(osp.join(out_dir, osp.relpath(src, base)))
        if kind is None:
            failed.append(
                (src, 'not an image or video file: expected one of '
                 f'{" ".join(IMG_EXTENSIONS + VIDEO_EXTENSIONS)}'))
        elif osp.realpath(dst) in input_files:
            failed.append((src, f'its output {dst} would overwrite an input; '
                           'choose another --out'))
        elif dst in claimed:
            failed.append((src, f'its output {dst} is also the output of '
                           f'{claimed[dst]}; deblur them into separate '
                           '--out folders'))
        else:
            claimed[dst] = src
            jobs.append(Job(src, dst, kind))
    return jobs, failed


def _deblur_image_jobs(model, jobs, args, report):
    """Deblur the image jobs ``args.batch_size`` at a time (same-size images
    share a forward pass); ``report(job, error)`` records each result."""
    options = dict(batch_size=args.batch_size, tile=args.tile,
                   tile_overlap=args.tile_overlap, fp16=args.fp16)
    if not jobs:
        return
    bar = tqdm(total=len(jobs), unit='img', desc='images', dynamic_ncols=True)
    pending = []

    def flush():
        try:
            outputs = deblur_images(model, [img for _, img in pending],
                                    **options)
        except Exception:  # noqa: BLE001  find the culprit image by image
            outputs = None
        for i, (job, img) in enumerate(pending):
            try:
                out = outputs[i] if outputs is not None else deblur_images(
                    model, [img], **options)[0]
                write_image_file(
                    job.dst, side_by_side(img, out) if args.side_by_side
                    else out)
                report(job, None)
            except Exception as err:  # noqa: BLE001  named in the summary
                report(job, err)
        bar.update(len(pending))
        pending.clear()

    for job in jobs:
        try:
            pending.append((job, read_image_file(job.src)))
        except Exception as err:  # noqa: BLE001  named in the summary
            report(job, err)
            bar.update(1)
        if len(pending) == args.batch_size:
            flush()
    if pending:
        flush()
    bar.close()


def sequence_jobs(args):
    """Jobs for the inputs read as videos without being video files:
    ``webcam:N`` and, with ``--as-video``, folders of frames. Returns the
    jobs and the other inputs."""
    jobs, rest = [], []
    for arg in args.inputs:
        if arg.startswith(WEBCAM_PREFIX):
            name = 'webcam' + arg[len(WEBCAM_PREFIX):]
        elif args.as_video and osp.isdir(arg):
            name = osp.basename(osp.normpath(osp.abspath(arg)))
        else:
            rest.append(arg)
            continue
        jobs.append(
            Job(arg, osp.join(args.out, name + args.video_ext), 'video'))
    return jobs, rest


def _video_dst(job, args):
    if args.frames_out:
        return osp.splitext(job.dst)[0]  # a folder named after the video
    return job.dst


def _deblur_video_jobs(model, jobs, args, report):
    """Deblur the video jobs one after the other; a damaged input is
    written (the frames that could be decoded) and reported as failed."""
    for job in jobs:
        bar = tqdm(total=count_video_frames(job.src) or None, unit='frame',
                   desc=osp.basename(osp.normpath(job.src)),
                   dynamic_ncols=True)
        dst = _video_dst(job, args)
        try:
            info = deblur_video(
                model, job.src, dst, batch_size=args.batch_size,
                tile=args.tile, tile_overlap=args.tile_overlap,
                fp16=args.fp16, side_by_side_output=args.side_by_side,
                progress=bar.update, codec=args.codec, crf=args.crf,
                fps=args.fps, temporal_smoothing=args.temporal_smoothing,
                frames_out=args.frames_out, frame_ext=args.frame_ext)
            job.dst = dst
            if info['damage']:
                report(job, OSError(
                    f'damaged input: {info["damage"]}; {dst} was written '
                    f'with the {info["frames"]} frames that could be read'))
            else:
                report(job, None)
        except Exception as err:  # noqa: BLE001  named in the summary
            report(job, err)
        finally:
            bar.close()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='Exit status: 0 all written, 1 some inputs failed, 2 bad '
        'arguments, config or checkpoint.')
    parser.add_argument(
        'inputs', nargs='+', metavar='INPUT',
        help='image or video files, folders (searched recursively) or glob '
        "patterns (quote them, e.g. 'data/**/*.png')")
    parser.add_argument('--config', required=True, help='model config file')
    parser.add_argument(
        '--checkpoint', required=True,
        help='deblurkit, official (.h5) or MMagic checkpoint')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--device', default='cpu',
                        help='torch device, e.g. cpu, cuda, cuda:1')
    parser.add_argument(
        '--batch-size', type=int, default=1,
        help='images of one size, video frames or tiles per forward pass')
    parser.add_argument('--side-by-side', action='store_true',
                        help='write input | output side by side')
    parser.add_argument(
        '--tile', type=int, default=None, metavar='SIZE',
        help='deblur in overlapping SIZE x SIZE tiles (>= 64) to bound the '
        'memory used by large images')
    parser.add_argument('--tile-overlap', type=int, default=32,
                        metavar='PIXELS',
                        help='minimum overlap of neighbouring tiles')
    parser.add_argument('--fp16', action='store_true',
                        help='half precision (CUDA devices only)')
    video = parser.add_argument_group(
        'video', 'see docs/user_guides/inference.md; INPUT may also be '
        'webcam:N (a camera, stopped by Ctrl-C)')
    video.add_argument(
        '--codec', choices=sorted(CODECS), default=None,
        help='video codec (needs PyAV); default: h264 in .mp4 .mov .mkv, '
        'vp9 in .webm, mjpeg in .avi')
    video.add_argument(
        '--crf', type=int, default=None,
        help='quality of h264/h265 (0-51, default 18/20) or vp9/av1 (0-63, '
        'default 30/32); lower is better and larger')
    video.add_argument(
        '--temporal-smoothing', type=float, nargs='?', const=0.1,
        default=None, metavar='MOMENTUM',
        help='smooth the per-image normalisation statistics across frames '
        '(weight of each new frame, default 0.1), restarting at scene cuts,'
        ' so brightness does not flicker')
    video.add_argument(
        '--as-video', action='store_true',
        help='read each folder INPUT as the frames of one video (image files'
        ' in natural name order) and write OUT/<folder><--video-ext>')
    video.add_argument('--fps', type=float, default=None,
                       help='frame rate of --as-video folders (default 25)')
    video.add_argument('--video-ext', default='.mp4',
                       choices=sorted(VIDEO_EXTENSIONS),
                       help='container of --as-video and webcam outputs')
    video.add_argument(
        '--frames-out', action='store_true',
        help='write each video as a new folder OUT/<name>/ of numbered '
        'frames instead of a video file')
    video.add_argument('--frame-ext', default='.png',
                       choices=sorted(IMG_EXTENSIONS),
                       help='image format of --frames-out frames')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={},
        metavar='KEY=VALUE',
        help='override config keys, e.g. model.generator.norm_stats=running')
    return parser.parse_args(argv)


def _check_args(args):
    """An error message for a bad combination of arguments, or None."""
    if args.batch_size < 1:
        return f'--batch-size must be >= 1, got {args.batch_size}'
    try:
        check_tile_options(args.tile, args.tile_overlap)
    except ValueError as err:
        return f'--tile/--tile-overlap: {err}'
    if args.fps is not None and not args.fps > 0:
        return f'--fps must be > 0, got {args.fps}'
    if args.temporal_smoothing is not None and not (
            0 < args.temporal_smoothing <= 1):
        return ('--temporal-smoothing must be in (0, 1], got '
                f'{args.temporal_smoothing}')
    if args.temporal_smoothing is not None and args.tile is not None:
        return ('--temporal-smoothing and --tile cannot be combined (tiles '
                'have statistics of their own)')
    if args.fp16 and not args.device.startswith('cuda'):
        return (f'--fp16 needs a CUDA device, got --device {args.device}; '
                'drop --fp16 to run in float32 on the CPU')
    out_real = osp.realpath(args.out)
    for arg in args.inputs:
        if osp.isdir(arg) and osp.realpath(arg) == out_real:
            return (f'--out {args.out} is the input folder {arg}; choose '
                    'another folder so inputs are never overwritten')
    return None


def main(argv=None):
    """Run the tool; returns the exit status (0, 1 or 2)."""
    args = parse_args(argv)
    error = _check_args(args)
    if error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    video_jobs, inputs = sequence_jobs(args)
    jobs, failed = collect_jobs(inputs, args.out) if inputs else ([], [])
    jobs += video_jobs
    try:
        model = init_model(args.config, args.checkpoint, device=args.device,
                           cfg_options=args.cfg_options)
    except Exception as err:  # noqa: BLE001  any build/load error is fatal
        print(f'error: cannot build the model of --config {args.config} with '
              f'--checkpoint {args.checkpoint}: {err}', file=sys.stderr)
        return 2
    written = []

    def report(job, error):
        if error is None:
            written.append(job.dst)
        else:
            failed.append((job.src, f'{type(error).__name__}: {error}'))

    _deblur_image_jobs(model, [j for j in jobs if j.kind == 'image'], args,
                       report)
    _deblur_video_jobs(model, [j for j in jobs if j.kind == 'video'], args,
                       report)
    print(f'{len(written)} written to {args.out}, {len(failed)} failed')
    for name, reason in sorted(failed):
        print(f'  FAILED {name}: {reason}')
    if not written and not failed:
        print('error: no input files found', file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
