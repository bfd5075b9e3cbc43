#!/usr/bin/env python
"""Speed and fidelity of the ONNX deployments: PyTorch vs float32 vs int8.

    python tools/analysis_tools/benchmark_onnx.py \\
        configs/deblurganv2_mobilenet_gopro.py --calib calib_images/ \\
        --shape 736 1280 --repeat 5 --out onnx_bench.json

    python tools/analysis_tools/benchmark_onnx.py \\
        work_dirs/demo/deblurganv2_mobilenet_demo.py \\
        --checkpoint work_dirs/demo/deblurganv2_mobilenet_demo.pth \\
        --calib data/demo/train --eval data/demo/test

The config's generator (``--checkpoint``'s weights, random without one) is
exported to ONNX with dynamic shapes (``--fp32 FILE`` uses an exported
model instead) and quantised to int8 with the images of ``--calib``
(``--int8 FILE`` uses a quantised one), as ``tools/deployment/
export_onnx.py`` and ``quantize_onnx.py`` do. Then, in one process:

- **speed**: one forward of a random ``1 x 3 x H x W`` input through the
  PyTorch inference path of ``deblurkit.apis`` (the fast path), the float32
  model in ONNX Runtime and the int8 model in ONNX Runtime, in turn,
  ``--repeat`` rounds after ``--warmup``; the speed-ups are medians of the
  per-round ratios, so that a loaded machine slows all three alike;
- **fidelity** (``--eval FOLDER``): every image of the folder (only those
  in ``blur/`` folders, if there are any) deblurred by
  the three through ``deblur_image`` (same pre- and post-processing):
  mean PSNR of int8 against float32 ONNX, of float32 ONNX against PyTorch
  (8-bit outputs), and, for images in a ``blur/`` folder with a ``sharp/``
  twin (GoPro's layout), each one's PSNR against the sharp image.
"""
import argparse
import os.path as osp
import statistics
import sys
import tempfile

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)  # for tools.analysis_tools.benchmark

from mmengine.config import DictAction  # noqa: E402

from deblurkit.apis import deblur_image, init_model  # noqa: E402
from deblurkit.apis.init_model import load_config  # noqa: E402
from deblurkit.cli import (CONFIG_HELP, HelpFormatter, UserError,  # noqa
                           config_file, tool_main, user_errors)
from deblurkit.deploy import init_onnx_model  # noqa: E402
from deblurkit.deploy.quantize import quantize_onnx  # noqa: E402
from deblurkit.engine.runner_config import disable_pretrained  # noqa
from deblurkit.evaluation.metrics.psnr import calculate_psnr  # noqa: E402
from deblurkit.fileio import (is_image_file, read_image_file,  # noqa: E402
                              walk_files)
from deblurkit.models.generators.fast import fast_generator_for  # noqa
from deblurkit.models.generators.fast.onnx_export import \
    export_onnx  # noqa: E402
from tools.analysis_tools.benchmark import (make_input,  # noqa: E402
                                            print_results, summarize,
                                            time_call)
from tools.analysis_tools.subprocess_worker import SubprocessWorker  # noqa

PATHS = ('pytorch', 'onnx_fp32', 'onnx_int8')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument('--checkpoint', help='weights (default: random)')
    parser.add_argument('--calib', help='calibration image folder (needed '
                        'unless --int8 is given)')
    parser.add_argument('--eval', help='image folder for the PSNR figures')
    parser.add_argument('--fp32', help='use this exported float32 model')
    parser.add_argument('--int8', help='use this quantised model')
    parser.add_argument('--max-calib', type=int, default=32,
                        help='calibration images used (default 32)')
    parser.add_argument('--shape', type=int, nargs=2, default=[736, 1280],
                        metavar=('H', 'W'), help='timed input size')
    parser.add_argument('--repeat', type=int, default=5,
                        help='timed rounds (default 5)')
    parser.add_argument('--warmup', type=int, default=1,
                        help='untimed calls of each path first')
    parser.add_argument('--threads', type=int,
                        help="threads of torch and ONNX Runtime (default: "
                        "torch's)")
    parser.add_argument('--norm-stats', choices=('per_image', 'running'),
                        help="override the config's normalisation statistics")
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    args = parser.parse_args(argv)
    if not (args.calib or args.int8):
        parser.error('give --calib (a folder of calibration images) or '
                     '--int8 (a quantised model)')
    if args.repeat < 1 or args.warmup < 0 or min(args.shape) < 33:
        parser.error('--repeat must be >= 1, --warmup >= 0, both --shape '
                     'sides >= 33')
    return args


def build_model(config, checkpoint, cfg_options):
    """:func:`init_model`'s model; without a checkpoint, random weights
    (no pretrained weights are looked for)."""
    config = load_config(config, cfg_options)
    if not checkpoint:
        disable_pretrained(config.model.generator)
    return init_model(config, checkpoint)


class TimedPath:
    """One measured path, built in a process of its own
    (:class:`SubprocessWorker`), so that the runtimes' thread pools and
    allocators do not slow each other down.

    Args:
        spec (dict): ``name`` (one of :data:`PATHS`), ``threads``,
            ``shape``, and ``config``, ``cfg_options``, ``state`` (the
            generator's state dict file), ``norm_stats`` (pytorch) or
            ``path`` (the ONNX model).
    """

    def __init__(self, spec):
        torch.set_num_threads(spec['threads'])
        if spec['name'] == 'pytorch':
            model = build_model(spec['config'], None, spec['cfg_options'])
            model.generator.load_state_dict(
                torch.load(spec['state'], weights_only=True))
            model.generator.norm_stats = spec['norm_stats']
            self.forward = fast_generator_for(model.generator)
        else:
            # Idle sessions must not busy-wait while another path runs.
            self.forward = init_onnx_model(
                spec['path'], threads=spec['threads'],
                spinning=False).generator
        self.x = make_input(1, tuple(spec['shape']), torch.device('cpu'))

    def run(self):
        """Seconds of one forward."""
        with torch.inference_mode():
            return time_call(lambda: self.forward(self.x), self.x.device)


def measure_speed(specs, repeat, warmup):
    """Seconds of each path's forward, called in turn every round."""
    workers = {}
    try:
        for spec in specs:
            workers[spec['name']] = SubprocessWorker(TimedPath, spec)
        for worker in workers.values():
            for _ in range(warmup):
                worker.call('run')
        times = {name: [] for name in workers}
        for _ in range(repeat):
            for name, worker in workers.items():
                times[name].append(worker.call('run'))
    finally:
        for worker in workers.values():
            worker.close()
    result = {name: dict(latency_s=summarize(t)) for name, t in times.items()}
    for name in ('pytorch', 'onnx_fp32'):
        ratios = [a / b for a, b in zip(times[name], times['onnx_int8'])]
        result['onnx_int8'][f'speedup_vs_{name}'] = statistics.median(ratios)
    ratios = [a / b for a, b in zip(times['pytorch'], times['onnx_fp32'])]
    result['onnx_fp32']['speedup_vs_pytorch'] = statistics.median(ratios)
    return result


def _sharp_twin(path):
    parts = path.split(osp.sep)
    if 'blur' not in parts:
        return None
    i = len(parts) - 1 - parts[::-1].index('blur')
    twin = osp.sep.join(parts[:i] + ['sharp'] + parts[i + 1:])
    return twin if osp.isfile(twin) else None


def measure_fidelity(models, folder):
    """Mean PSNRs of the three paths' outputs on the images of ``folder``."""
    files, _, _ = walk_files(folder, keep=is_image_file)
    if not files:
        raise UserError(f'--eval {folder}: no image file there')
    # GoPro's layout: deblur the blur/ images, compare with their sharp/.
    files = [f for f in files if 'blur' in f.split(osp.sep)] or files
    int8_fp32, fp32_torch, vs_sharp = [], [], {name: [] for name in models}
    for path in files:
        img = read_image_file(path)
        out = {name: deblur_image(model, img) for name, model in
               models.items()}
        int8_fp32.append(calculate_psnr(out['onnx_int8'], out['onnx_fp32']))
        fp32_torch.append(calculate_psnr(out['onnx_fp32'], out['pytorch']))
        twin = _sharp_twin(path)
        if twin:
            sharp = read_image_file(twin)
            for name in models:
                vs_sharp[name].append(calculate_psnr(out[name], sharp))
    # Identical outputs have an infinite PSNR; the mean MSE is finite.
    result = dict(
        images=len(files),
        psnr_int8_vs_fp32=_mean_psnr(int8_fp32),
        psnr_fp32_vs_pytorch=_mean_psnr(fp32_torch))
    if all(vs_sharp.values()):
        result['psnr_vs_sharp'] = {
            name: float(np.mean(v)) for name, v in vs_sharp.items()}
        result['sharp_images'] = len(vs_sharp['pytorch'])
    return result


def _mean_psnr(values):
    """PSNR of the mean MSE over images (inf if all are identical)."""
    mse = np.mean([255.**2 / 10**(v / 10) for v in values])
    return float('inf') if mse == 0 else float(10 * np.log10(255.**2 / mse))


@tool_main
def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = args.threads or torch.get_num_threads()
    with user_errors(f'cannot build --config {args.config} with '
                     f'--checkpoint {args.checkpoint}', kinds=(Exception, )):
        model = build_model(args.config, args.checkpoint, args.cfg_options)
    if args.norm_stats:
        model.generator.norm_stats = args.norm_stats
    with tempfile.TemporaryDirectory(prefix='deblurkit-onnx-bench-') as work:
        fp32 = args.fp32 or osp.join(work, 'fp32.onnx')
        if not args.fp32:
            export_onnx(model.generator, fp32, tuple(args.shape),
                        dynamic=True)
        int8, quant = args.int8, None
        if not int8:
            int8 = osp.join(work, 'int8.onnx')
            with user_errors('quantisation'):
                quant = quantize_onnx(fp32, args.calib, int8,
                                      max_images=args.max_calib)
        with user_errors('loading the ONNX models'):
            onnx_models = {name: init_onnx_model(path, threads=threads,
                                                 spinning=False)
                           for name, path in (('onnx_fp32', fp32),
                                              ('onnx_int8', int8))}
        state = osp.join(work, 'generator.pth')
        torch.save(model.generator.state_dict(), state)
        base = dict(threads=threads, shape=list(args.shape))
        specs = [dict(base, name='pytorch', config=args.config,
                      cfg_options=args.cfg_options, state=state,
                      norm_stats=model.generator.norm_stats),
                 dict(base, name='onnx_fp32', path=fp32),
                 dict(base, name='onnx_int8', path=int8)]
        result = dict(
            config=args.config, weights=args.checkpoint or 'random',
            shape=list(args.shape), threads=threads,
            norm_stats=model.generator.norm_stats,
            quantization=None if quant is None else dict(
                images=quant['images'], skipped=len(quant['skipped']),
                quantized_convs=quant['quantized'],
                float_convs=quant['float_convs']),
            speed=measure_speed(specs, args.repeat, args.warmup))
        if args.eval:
            models = dict(pytorch=model, **onnx_models)
            result['fidelity'] = measure_fidelity(models, args.eval)
    print_results(result, format_results(result), args.out)
    return 0


def format_results(r):
    speed = r['speed']
    lines = [f"{r['config']} (weights: {r['weights']}, norm_stats "
             f"{r['norm_stats']}), 1x3x{r['shape'][0]}x{r['shape'][1]}, "
             f"{r['threads']} threads"]
    for name in PATHS:
        lat = speed[name]['latency_s']
        extra = ', '.join(f'{v:.2f}x vs {k[len("speedup_vs_"):]}'
                          for k, v in speed[name].items()
                          if k.startswith('speedup_vs_'))
        lines.append(f"{name}: median {lat['median']:.4f} s (min "
                     f"{lat['min']:.4f}, max {lat['max']:.4f})"
                     + (f'; {extra}' if extra else ''))
    fid = r.get('fidelity')
    if fid:
        lines.append(f"PSNR over {fid['images']} images: int8 vs float32 "
                     f"{fid['psnr_int8_vs_fp32']:.2f} dB, float32 ONNX vs "
                     f"PyTorch {fid['psnr_fp32_vs_pytorch']:.2f} dB")
        if 'psnr_vs_sharp' in fid:
            lines.append('PSNR vs sharp: ' + ', '.join(
                f'{k} {v:.3f} dB' for k, v in fid['psnr_vs_sharp'].items()))
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.exit(main())
