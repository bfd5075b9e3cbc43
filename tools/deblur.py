#!/usr/bin/env python
"""Deblur images, folders of images and videos with a trained model.

    python tools/deblur.py blurry/ clip.mp4 'more/**/*.png' \\
        --config configs/deblurganv2_mobilenet_gopro.py \\
        --checkpoint checkpoints/deblurganv2_fpn_mobilenet.pth \\
        --out results/

An exported ONNX model (``tools/deployment/export_onnx.py``, float32, or
``tools/deployment/quantize_onnx.py``, int8) runs in place of config and
checkpoint with ``--backend onnxruntime`` or ``--backend opencv``::

    python tools/deblur.py blurry/ --backend onnxruntime \
        --checkpoint fpn_mobilenet_int8.onnx --out results/

Outputs keep their input's name and format under ``--out``: a file named on
the command line as ``OUT/<name>``, a file found in a folder as
``OUT/<path relative to that folder>``, a glob match as ``OUT/<path relative
to the pattern's fixed leading folders>``. Files that cannot be read or
written are named with the reason; the others are still processed; the run
ends with a summary and exits with 1 if anything failed (2 for a bad
command line, config, checkpoint or --out; 130 after Ctrl-C, with the
summary of what was done).

Nothing is lost: an output never replaces an input or a file that no
deblurkit tool wrote (``OUT/.deblurkit-outputs`` lists what it wrote; such an
input fails with the reason); each file is written to a temporary name with
the umask's permissions and renamed. Folders are searched following each
symlink once; special files (FIFOs, devices) are reported, never opened.

On the CPU the tool keeps freed memory in the process before it builds the
model (:func:`deblurkit.runtime.tune_cpu_allocator`; several times faster
on small machines, at the cost of holding one forward's working set);
``DEBLURKIT_TUNE_MALLOC=0`` leaves glibc's allocator as it is.
See docs/user_guides/inference.md.
"""
import argparse
import glob
import os
import os.path as osp
import sys

from tqdm import tqdm

from deblurkit.apis import init_model
from deblurkit.apis.inference import (VIDEO_EXTENSIONS, check_tile_options,
                                      count_video_frames, deblur_images,
                                      deblur_video, side_by_side)
from deblurkit.apis.inference import DTYPE_NAMES, resolve_dtype
from deblurkit.cli import (CONFIG_HELP, CfgOptionsAction, HelpFormatter,
                           RunSummary, UserError, config_file,
                           tool_main, user_errors)
from deblurkit.deploy import RUNTIMES, init_onnx_model
from deblurkit.fileio import (DEFAULT_MAX_IMAGE_PIXELS, IMG_EXTENSIONS,
                              OutputFolder, OutputPathError,
                              check_format_holds,
                              check_output_path, read_image_file,
                              set_max_image_pixels, walk_files,
                              write_image_file)
from deblurkit.fileio.scan import not_regular_reason
from deblurkit.runtime import tune_cpu_allocator
from deblurkit.video import (CODECS, TEMPORAL_MODES, WEBCAM_PREFIX,
                             X264_PRESETS)

_GLOB_CHARS = ('*', '?', '[')
BACKENDS = ('pytorch', ) + RUNTIMES


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


def _walk(folder, out_dir, summary):
    """Files below ``folder`` (sorted, hidden ones left out, each real file
    once, symlink loops and special files reported), not entering the output
    folder, so outputs are never read back as inputs."""
    walk = walk_files(folder, skip_dirs=[out_dir])
    for path, reason in walk.skipped:
        summary.skip(path, reason)
    for path, reason in walk.rejected:
        summary.fail(path, reason)
    return walk.files


def _glob_base(pattern):
    """The leading folders of ``pattern`` before its first wildcard."""
    parts = pattern.replace(os.sep, '/').split('/')
    fixed = []
    for part in parts[:-1]:
        if any(c in part for c in _GLOB_CHARS):
            break
        fixed.append(part)
    return '/'.join(fixed) or '.'


def collect_jobs(inputs, out_dir, summary=None):
    """Expand the INPUT arguments into jobs.

    Args:
        inputs (list[str]): Files, folders and glob patterns.
        out_dir (str): The output folder.
        summary (RunSummary, optional): Receives inputs that cannot be
            processed (failures) and entries left out (skipped).

    Returns:
        tuple[list[Job], OutputFolder]: The jobs, and the output folder
        that checked (claimed) their outputs.
    """
    summary = summary if summary is not None else RunSummary(out_dir)
    out_real = osp.realpath(out_dir)
    sources = []  # (file, folder it is named under)
    for arg in inputs:
        if osp.isdir(arg):
            if _inside(out_real, osp.realpath(arg)):
                summary.skip(out_dir, f'the --out folder, inside INPUT {arg}'
                             ', is not searched for inputs')
            sources += [(f, arg) for f in _walk(arg, out_dir, summary)]
        elif osp.lexists(arg):
            reason = not_regular_reason(arg)
            if reason is None:
                sources.append((arg, osp.dirname(arg)))
            else:
                summary.fail(arg, reason)
        elif any(c in arg for c in _GLOB_CHARS):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                summary.fail(arg, 'the pattern matches no file')
            base = _glob_base(arg)
            # Matches in an --out below the pattern's folders are outputs.
            skip_out = not _inside(osp.realpath(base), out_real)
            for match in matches:
                if skip_out and _inside(osp.realpath(match), out_real):
                    continue
                if osp.isdir(match):
                    sources += [(f, base)
                                for f in _walk(match, out_dir, summary)]
                elif not_regular_reason(match) is None:
                    sources.append((match, base))
                else:
                    summary.fail(match, not_regular_reason(match))
        else:
            summary.fail(arg, 'no such file or folder')
    seen, unique = {}, []
    for src, base in sources:
        real = osp.realpath(src)
        if real in seen:
            if seen[real] != src:
                summary.skip(src, f'the same file as {seen[real]}; '
                             'deblurred once')
            continue
        seen[real] = src
        unique.append((src, base))
    outputs = OutputFolder(out_dir, inputs=seen)
    jobs = []
    for src, base in unique:
        kind = _kind(src)
        dst = osp.normpath(osp.join(out_dir, osp.relpath(src, base)))
        if kind is None:
            summary.fail(
                src, 'not an image or video file: expected one of '
                f'{" ".join(IMG_EXTENSIONS + VIDEO_EXTENSIONS)}')
            continue
        try:
            outputs.claim(dst, src)
        except OutputPathError as err:
            summary.fail(src, str(err))
            continue
        jobs.append(Job(src, dst, kind))
    return jobs, outputs


def _inside(path, folder):
    """Whether real path ``path`` is ``folder`` or below it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _deblur_image_jobs(model, jobs, args, report, outputs):
    """Deblur the image jobs ``args.batch_size`` at a time (same-size images
    share a forward pass); ``report(job, error)`` records each result.

    Each image is read, and checked against its output format (bit depth,
    alpha), before it is deblurred; each output is listed in ``outputs``'s
    manifest, then written atomically."""
    options = dict(batch_size=args.batch_size, tile=args.tile,
                   tile_overlap=args.tile_overlap, dtype=args.dtype)
    if not jobs:
        return
    bar = tqdm(total=len(jobs), unit='img', desc='images', dynamic_ncols=True)
    pending = []

    def flush():
        try:
            results = deblur_images(model, [img for _, img in pending],
                                    **options)
        except Exception:  # noqa: BLE001  find the culprit image by image
            results = None
        for i, (job, img) in enumerate(pending):
            try:
                out = results[i] if results is not None else deblur_images(
                    model, [img], **options)[0]
                outputs.record(job.dst)
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
            img = read_image_file(job.src)
            check_format_holds(job.dst, img.dtype,
                               1 if img.ndim == 2 else img.shape[2])
            pending.append((job, img))
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


def _deblur_video_jobs(model, jobs, args, report, outputs):
    """Deblur the video jobs one after the other; a damaged input is
    written (the frames that could be decoded) and reported as failed."""
    for job in jobs:
        bar = tqdm(total=count_video_frames(job.src) or None, unit='frame',
                   desc=osp.basename(osp.normpath(job.src)),
                   dynamic_ncols=True)
        dst = _video_dst(job, args)
        try:
            outputs.record(dst)
            info = deblur_video(
                model, job.src, dst, batch_size=args.batch_size,
                tile=args.tile, tile_overlap=args.tile_overlap,
                dtype=args.dtype, side_by_side_output=args.side_by_side,
                progress=bar.update, codec=args.codec, crf=args.crf,
                preset=args.preset,
                fps=args.fps, temporal_smoothing=args.temporal_smoothing,
                temporal_mode=args.temporal_mode,
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
        description=__doc__.split('\n')[0], formatter_class=HelpFormatter,
        epilog='Exit status: 0 all written, 1 some inputs failed, 2 bad '
        'arguments, config, checkpoint or --out, 130 interrupted (Ctrl-C). '
        "On the CPU glibc's allocator is tuned to keep freed memory "
        '(faster; DEBLURKIT_TUNE_MALLOC=0 leaves it as it is).')
    parser.add_argument(
        'inputs', nargs='+', metavar='INPUT',
        help='image or video files, folders (searched recursively) or glob '
        "patterns (quote them, e.g. 'data/**/*.png')")
    parser.add_argument('--config', type=config_file,
                        help=CONFIG_HELP + ' (with --backend pytorch, the '
                        'default; not with an ONNX --backend)')
    parser.add_argument(
        '--checkpoint', required=True,
        help='deblurkit, official (.h5) or MMagic checkpoint; with an ONNX '
        '--backend, the exported (float32 or int8) .onnx model')
    parser.add_argument(
        '--backend', choices=BACKENDS, default='pytorch',
        help='what runs the network: pytorch (default; --config and a '
        'checkpoint), onnxruntime or opencv (OpenCV DNN, CPU) with a '
        'model of tools/deployment/export_onnx.py or quantize_onnx.py')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--device', default='cpu',
                        help='torch device, e.g. cpu, cuda, cuda:1')
    parser.add_argument(
        '--batch-size', type=int, default=1,
        help='images of one size, video frames or tiles per forward pass')
    parser.add_argument('--side-by-side', action='store_true',
                        help='write input | output side by side, labelled '
                        '"blurred" and "deblurred"')
    parser.add_argument(
        '--tile', type=int, default=None, metavar='SIZE',
        help='deblur in overlapping SIZE x SIZE tiles (>= 64) to bound the '
        'memory used by large images')
    parser.add_argument('--tile-overlap', type=int, default=32,
                        metavar='PIXELS',
                        help='minimum overlap of neighbouring tiles')
    parser.add_argument('--fp16', action='store_true',
                        help='half precision (CUDA devices only); same as '
                        '--dtype fp16')
    parser.add_argument(
        '--dtype', choices=DTYPE_NAMES, default=None,
        help='compute precision: fp32 (default), fp16 (CUDA), bf16 (CUDA, '
        'or a CPU with native bfloat16: AVX512-BF16 or AMX)')
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
        '--preset', choices=X264_PRESETS, default=None,
        help='h264/h265 speed preset (default: veryfast); a slower one makes '
        'a smaller file at the same --crf and takes more CPU from the model')
    video.add_argument(
        '--temporal-smoothing', type=float, nargs='?', const=0.1,
        default=None, metavar='MOMENTUM',
        help='smooth across frames (weight of each new frame, default 0.1),'
        ' restarting at scene cuts, what --temporal-mode names, so that '
        'brightness does not flicker')
    video.add_argument(
        '--temporal-mode', choices=TEMPORAL_MODES, default=None,
        help='with --temporal-smoothing: brightness (the default: the '
        'brightness the model adds to each frame), stats (every norm '
        'layer\'s per-image mean and variance; not with --tile or an .onnx '
        'model) or both')
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
        '--max-pixels', type=int, default=None, metavar='N',
        help='refuse images whose header declares more than N pixels '
        f'(default {DEFAULT_MAX_IMAGE_PIXELS:,}, or '
        '$DEBLURKIT_MAX_IMAGE_PIXELS), before decoding them')
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction, default={},
        metavar='KEY=VALUE',
        help='override config keys, e.g. model.generator.norm_stats=running')
    return parser.parse_args(argv)


def _check_backend(args):
    """An error message for options the ``--backend`` cannot honour."""
    is_onnx = args.checkpoint.lower().endswith('.onnx')
    if args.backend == 'pytorch':
        if is_onnx:
            return (f'--checkpoint {args.checkpoint} is an ONNX model: add '
                    '--backend onnxruntime (or opencv) and drop --config')
        return None if args.config else ('--config is required with '
                                          '--backend pytorch')
    if not is_onnx:
        return (f'--backend {args.backend} runs an exported .onnx model '
                f'(tools/deployment/export_onnx.py), got --checkpoint '
                f'{args.checkpoint}')
    unused = [name for name, value in (
        ('--config', args.config), ('--cfg-options', args.cfg_options),
        ('--fp16', args.fp16),
        (f'--temporal-mode {args.temporal_mode}',
         args.temporal_smoothing is not None
         and args.temporal_mode != 'brightness'))
        if value]
    if unused:
        return (f'{", ".join(unused)}: not available with --backend '
                f'{args.backend} (the .onnx file holds the whole float32 or '
                'int8 model); drop them or use --backend pytorch')
    return None


def _load_model(args):
    """The model of ``--backend``: :func:`init_model`'s, or an ONNX one."""
    if args.backend == 'pytorch':
        with user_errors(f'cannot build the model of --config {args.config} '
                         f'with --checkpoint {args.checkpoint}',
                         kinds=(Exception, )):
            return init_model(args.config, args.checkpoint,
                              device=args.device,
                              cfg_options=args.cfg_options)
    with user_errors(f'--checkpoint {args.checkpoint} (--backend '
                     f'{args.backend})', kinds=(Exception, )):
        return init_onnx_model(args.checkpoint, args.backend, args.device)


def _check_args(args):
    """An error message for a bad combination of arguments, or None."""
    if args.temporal_mode is not None and args.temporal_smoothing is None:
        return (f'--temporal-mode {args.temporal_mode} does nothing without '
                '--temporal-smoothing: add --temporal-smoothing [MOMENTUM] '
                'or drop --temporal-mode')
    args.temporal_mode = args.temporal_mode or 'brightness'
    backend_error = _check_backend(args)
    if backend_error:
        return backend_error
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
    if (args.temporal_smoothing is not None and args.tile is not None
            and args.temporal_mode != 'brightness'):
        return (f'--temporal-mode {args.temporal_mode} and --tile cannot be '
                'combined (tiles '
                'have statistics of their own)')
    if args.fp16 and not args.device.startswith('cuda'):
        return (f'--fp16 needs a CUDA device, got --device {args.device}; '
                'drop --fp16 to run in float32 on the CPU')
    try:
        args.dtype = resolve_dtype(args.device, args.dtype, args.fp16)
    except (ValueError, RuntimeError) as err:
        return f'--dtype {args.dtype} on --device {args.device}: {err}'
    if osp.exists(args.out) and not osp.isdir(args.out):
        return f'--out {args.out} is a file; --out names a folder'
    try:
        if args.max_pixels is not None:
            set_max_image_pixels(args.max_pixels)
        # --out may lie inside an input folder (the scan leaves it out) or
        # hold the inputs (each output is checked by OutputFolder.claim).
        check_output_path(args.out, [
            (arg, 'the input folder' if osp.isdir(arg) else 'the input file')
            for arg in args.inputs
        ], allow_inside=True, allow_around=True)
    except (OutputPathError, ValueError) as err:
        return str(err)
    return None


@tool_main
def main(argv=None):
    """Run the tool; returns the exit status (0, 1, 2 or 130)."""
    args = parse_args(argv)
    error = _check_args(args)
    if error:
        raise UserError(error)
    summary = RunSummary(args.out)
    video_jobs, inputs = sequence_jobs(args)
    if inputs:
        jobs, outputs = collect_jobs(inputs, args.out, summary)
    else:
        jobs, outputs = [], OutputFolder(args.out)
    for job in video_jobs:
        try:
            outputs.claim(_video_dst(job, args), job.src)
            jobs.append(job)
        except OutputPathError as err:
            summary.fail(job.src, str(err))
    if args.device.split(':')[0] == 'cpu':
        tune_cpu_allocator()  # this process is ours; see the docstring
    model = _load_model(args)

    def report(job, error):
        if error is None:
            summary.done(job.dst)
        else:
            summary.fail(job.src, error)

    try:
        _deblur_image_jobs(model, [j for j in jobs if j.kind == 'image'],
                           args, report, outputs)
        _deblur_video_jobs(model, [j for j in jobs if j.kind == 'video'],
                           args, report, outputs)
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.print()
    return summary.exit_code()


if __name__ == '__main__':
    sys.exit(main())
