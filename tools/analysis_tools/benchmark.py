#!/usr/bin/env python
"""Latency, throughput and memory of a config's generator.

    python tools/analysis_tools/benchmark.py \\
        configs/deblurganv2_mobilenet_gopro.py --shape 736 1280 \\
        --device cpu --repeat 10 --reference --out mobilenet.json

What is measured (``--impl``):

- ``fast`` (default): the inference path of ``deblurkit.apis``: the fast
  path (:func:`optimize_generator`), channels-last, under
  ``torch.inference_mode``, for the generators it was written for
  (:func:`has_fast_path`); any other generator runs as built, as
  ``deblurkit.apis`` runs it (reported as ``impl: eager``);
- ``eager``: the generator as built, in eval mode (``norm_stats`` of the
  config), under ``torch.inference_mode``;
- ``official``: the official-equivalent reference (below).

``--backend onnxruntime`` measures the generator exported to ONNX
(``tools/deployment/export_onnx.py``) in ONNX Runtime instead.

``--reference`` also measures the **official-equivalent reference** in the
same run, one reference forward and one measured forward in turn, so that
the speed-up is a ratio of neighbouring measurements on a noisy machine.
The reference is exactly the computation of the official predictor: our
generator with the same weights in *train mode* (every BatchNorm and
InstanceNorm normalising with the image's own statistics and updating its
running buffers as a side effect) under ``torch.no_grad``, eager, NCHW,
float32: the same layers and ops as the official code. It runs in a
separate process, as the official predictor does, with glibc's default
allocator unless ``--reference-allocator tuned``.

Without ``--checkpoint`` the weights are random (nothing is downloaded).
``--dtype fp16|bf16`` also runs the same path in float32 on the same input
after the timing and reports the output's PSNR against it (on the [0, 1]
scale; ``--image`` measures on a real image instead of noise);
``--interleave-fp32`` also times it, one call of each in turn, for a
speed-up that holds on a busy machine.
Latency is the wall time of one call (after ``--warmup`` calls; CUDA is
synchronised before and after). Peak memory is, on the CPU, the increase
of the process's peak resident set (VmHWM, reset through
/proc/self/clear_refs) over its resident set before the first call, over
all calls; on CUDA, ``max_memory_allocated`` minus the memory allocated
before the first call. MACs and parameters are those of get_flops.py for
one image.
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)  # for tools.analysis_tools.get_flops

from mmengine.config import DictAction  # noqa: E402

from deblurkit.apis.inference import DTYPE_NAMES, resolve_dtype  # noqa
from deblurkit.apis.init_model import build_generator, init_model  # noqa
from deblurkit.cli import (CONFIG_HELP, HelpFormatter,  # noqa
                           config_file, tool_main)
from deblurkit.fileio.image import img2tensor, read_image_file  # noqa
from deblurkit.engine import atomic_write  # noqa: E402
from deblurkit.models.generators.contract import (SizeAdapter,  # noqa
                                                 pad_multiple_of)
from deblurkit.models.data_preprocessors import padded_size  # noqa
from deblurkit.models.generators.fast import (has_fast_path,  # noqa
                                              optimize_generator)
from deblurkit.models.generators.fast.onednn import \
    bf16_convolutions  # noqa: E402
from deblurkit.runtime import tune_cpu_allocator  # noqa: E402
from tools.analysis_tools.get_flops import generator_complexity  # noqa
from tools.analysis_tools.subprocess_worker import SubprocessWorker  # noqa

IMPLS = ('fast', 'eager', 'official')
REFERENCE_WHAT = (
    'official-equivalent reference: the same generator and weights in train '
    'mode (per-image statistics from train-mode BatchNorm/InstanceNorm, '
    'running buffers updated) under torch.no_grad, eager, NCHW, float32, '
    'in a separate process')


# ----------------------------------------------------------------- measuring
def _proc_status_kb(field):
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class PeakMemory:
    """Peak memory of the calls made between :meth:`start` and :meth:`mb`.

    Args:
        device (torch.device): Where the model runs.
    """

    def __init__(self, device):
        self.device = device
        self.method = None
        self.base = 0

    def start(self):
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.base = torch.cuda.memory_allocated(self.device)
            self.method = 'cuda max_memory_allocated - allocated before'
            return
        try:
            # Resets VmHWM (the peak RSS) to the current RSS (Linux >= 4.0).
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
            self.method = ('peak RSS increase (VmHWM after reset via '
                           '/proc/self/clear_refs - VmRSS before)')
        except OSError:
            self.method = None
        # Read after the reset: RSS may shrink in between, and the peak
        # must not come out below the base.
        self.base = _proc_status_kb('VmRSS')

    def mb(self):
        """The peak in MiB above the start, or None if not measurable."""
        if self.device.type == 'cuda':
            peak = torch.cuda.max_memory_allocated(self.device)
            return (peak - self.base) / 2**20
        if self.method is None or self.base is None:
            return None
        return max(0.0, (_proc_status_kb('VmHWM') - self.base) / 1024)


def _sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_call(run, device):
    """Wall time in seconds of ``run()``, synchronised on CUDA."""
    _sync(device)
    start = time.perf_counter()
    run()
    _sync(device)
    return time.perf_counter() - start


def summarize(times):
    """Median, p90, mean, min, max and all values of a list of seconds."""
    return {
        'median': statistics.median(times),
        'p90': float(np.percentile(times, 90)),
        'mean': statistics.fmean(times),
        'min': min(times),
        'max': max(times),
        'all': list(times),
    }


def make_input(batch_size, shape, device, image=None):
    """The benchmark's input, the same in every process: uniform noise in
    [-1, 1] (seed 0), or ``image`` (a file) resized to ``shape``."""
    if image is None:
        rng = torch.Generator().manual_seed(0)
        x = torch.rand(batch_size, 3, *shape, generator=rng) * 2 - 1
    else:
        rgb = img2tensor(read_image_file(image))[None]
        x = torch.nn.functional.interpolate(
            rgb, size=tuple(shape), mode='bilinear', antialias=True,
            align_corners=False).clamp_(0, 1) * 2 - 1
        x = x.expand(batch_size, -1, -1, -1).contiguous()
    return x.to(device)


# ---------------------------------------------------------------- the paths
def _dtype(args):
    return {'fp16': torch.float16, 'bf16': torch.bfloat16}.get(
        args.dtype, torch.float32)


def psnr(output, reference):
    """PSNR in dB of ``output`` against ``reference`` (both in [-1, 1],
    measured on the [0, 1] scale); inf where they are equal."""
    mse = ((output.double() - reference.double()) / 2).pow(2).mean().item()
    return float('inf') if mse == 0 else 10 * np.log10(1 / mse)


def build_runner(args, generator, x, device, work):
    """A no-argument callable running the measured path on ``x``.

    ``work`` is a scratch folder (for the ONNX model).

    Returns:
        tuple: ``(run, output_of)``, where ``output_of(x)`` gives a float32
        output for a parity check.
    """
    dtype = _dtype(args)
    if args.backend == 'onnxruntime':
        return _onnx_runner(args, generator, x, device, work)
    if args.impl == 'official':
        generator = SizeAdapter(generator.to(device).train())

        def official(inp):
            with torch.no_grad():
                return generator(inp)

        return (lambda: official(x)), official
    if args.impl == 'fast':
        module = optimize_generator(
            generator,
            norm_stats=args.norm_stats,
            device=device,
            dtype=dtype,
            channels_last=args.channels_last is not False,
            compile=args.compile)
        autocast = nullcontext
    else:
        module = generator.to(device).eval()
        if args.norm_stats:
            module.norm_stats = args.norm_stats
        module = SizeAdapter(module)
        if args.channels_last:
            module = module.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        if args.compile:
            module = torch.compile(module)

        def autocast():
            if dtype == torch.float32:
                return nullcontext()
            return torch.autocast(device.type, dtype)

    def output_of(inp):
        with torch.inference_mode(), autocast():
            return module(inp).float()

    return (lambda: output_of(x)), output_of


def _onnx_runner(args, generator, x, device, work):
    from deblurkit.models.generators.fast.onnx_export import (INPUT_NAME,
                                                              export_onnx,
                                                              onnx_session)
    path = osp.join(work, 'generator.onnx')
    export_onnx(
        generator,
        path,
        tuple(x.shape[-2:]),
        batch_size=x.shape[0],
        norm_stats=args.norm_stats)
    session = onnx_session(path, device.type, torch.get_num_threads())
    feed = x.cpu().numpy()

    def output_of(inp):
        out = session.run(None, {INPUT_NAME: inp.cpu().numpy()})[0]
        return torch.from_numpy(out)

    return (lambda: session.run(None, {INPUT_NAME: feed})), output_of


def _fp32_runner(args, generator, x, device):
    """``build_runner`` for the same path in float32."""
    fp32 = argparse.Namespace(**{**vars(args), 'dtype': 'fp32',
                                 'compile': False})
    return build_runner(fp32, generator, x, device, None)


def _compare_with_fp32(output, reference, fp32_times, times, batch_size):
    """PSNR and largest difference of ``output`` against the float32
    ``reference``, and the speed-up over float32 when it was timed."""
    found = dict(psnr_db=psnr(output, reference),
                 max_abs_diff=float((output - reference).abs().max()))
    if fp32_times:
        ratios = [f / t for f, t in zip(fp32_times, times)]
        found.update(
            latency_s=summarize(fp32_times),
            fps=batch_size / statistics.median(fp32_times),
            speedup=dict(median_of_pairs=statistics.median(ratios),
                         min=min(ratios), max=max(ratios), pairs=ratios))
    return found


# ----------------------------------------------------- the reference process
class InferenceReference:
    """The official-equivalent reference, built in a process of its own by
    :class:`~tools.analysis_tools.subprocess_worker.SubprocessWorker`.

    Args:
        spec (dict): ``config``, ``cfg_options``, ``state`` (a file with the
            generator's state dict), ``shape``, ``batch_size``, ``device``,
            ``threads`` and ``allocator``.
    """

    def __init__(self, spec):
        if spec['allocator'] == 'tuned':
            tune_cpu_allocator(force=True)
        torch.set_num_threads(spec['threads'])
        self.device = torch.device(spec['device'])
        generator = build_generator(spec['config'], spec['cfg_options'])
        generator.load_state_dict(torch.load(spec['state'],
                                             weights_only=True))
        self.generator = SizeAdapter(generator.to(self.device).train())
        self.x = make_input(spec['batch_size'], tuple(spec['shape']),
                            self.device, spec.get('image'))
        self.memory = PeakMemory(self.device)
        self.started = False

    def _forward(self, inp):
        with torch.no_grad():
            return self.generator(inp)

    def run(self):
        """Seconds of one forward (the first call starts the memory peak)."""
        if not self.started:
            self.memory.start()
            self.started = True
        return time_call(lambda: self._forward(self.x), self.device)

    def peak_memory(self):
        """``(peak MiB, method)`` over the calls so far."""
        return self.memory.mb(), self.memory.method

    def output(self):
        """The float32 output for the first image, for the parity check."""
        return self._forward(self.x[:1]).float().cpu()


# ------------------------------------------------------------------- running
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument('--checkpoint', help='weights (default: random)')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=[736, 1280],
        metavar=('H', 'W'), help="input size (padded to a multiple of the "
        "generator's pad_multiple, 32 for the FPN generators)")
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='images per call')
    parser.add_argument('--repeat', type=int, default=10,
                        help='timed calls')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed calls first')
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument(
        '--dtype', choices=DTYPE_NAMES, default='fp32',
        help='compute precision: fp32, fp16 (CUDA), bf16 (CUDA, or a CPU '
        'with native bfloat16); with fp16/bf16 the output is also compared '
        'with the fp32 fast path (PSNR)')
    precision.add_argument('--fp16', dest='dtype', action='store_const',
                           const='fp16', help='same as --dtype fp16')
    precision.add_argument('--bf16', dest='dtype', action='store_const',
                           const='bf16', help='same as --dtype bf16')
    parser.add_argument(
        '--allow-emulated-bf16', action='store_true',
        help='run --dtype bf16 on a CPU without native bfloat16 (oneDNN '
        'emulates it: correct, slower than fp32)')
    parser.add_argument(
        '--interleave-fp32', action='store_true',
        help='with --dtype fp16/bf16: also time the same path in fp32, one '
        'call of each in turn, and report the speed-up (the peak memory '
        'then counts both)')
    parser.add_argument(
        '--image', help='measure on this image file, resized to --shape '
        '(default: uniform noise)')
    parser.add_argument(
        '--channels-last',
        action=argparse.BooleanOptionalAction,
        default=None,
        help='channels-last layout (default: on for --impl fast, off for '
        'eager)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the module (first call slow)')
    parser.add_argument('--backend', choices=('torch', 'onnxruntime'),
                        default='torch', help='what runs the model')
    parser.add_argument('--impl', choices=IMPLS, default='fast',
                        help='what --backend torch measures')
    parser.add_argument('--norm-stats', choices=('per_image', 'running'),
                        help="override the config's normalisation statistics")
    parser.add_argument(
        '--reference',
        action='store_true',
        help='also time the official-equivalent reference, interleaved')
    parser.add_argument(
        '--allocator',
        choices=('auto', 'default', 'tuned'),
        default='auto',
        help="this process's CPU allocator, set before anything is built: "
        "'tuned' keeps freed memory mapped (deblurkit.runtime."
        "tune_cpu_allocator, as tools/deblur.py does on the CPU); 'auto' = "
        'tuned for --impl fast on the CPU unless DEBLURKIT_TUNE_MALLOC=0, '
        'default otherwise')
    parser.add_argument(
        '--reference-allocator',
        choices=('default', 'tuned'),
        default='default',
        help="the reference process's allocator (default: glibc's, as the "
        'official predictor runs)')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. model.generator.norm_stats=running')
    args = parser.parse_args(argv)
    problems = []
    if args.repeat < 1 or args.warmup < 0 or args.batch_size < 1:
        problems.append('--repeat and --batch-size must be >= 1 and '
                        '--warmup >= 0')
    reduced = args.dtype != 'fp32'
    if args.backend == 'onnxruntime' and (reduced or args.compile
                                          or args.channels_last):
        problems.append('--backend onnxruntime runs the float32 ONNX model:'
                        ' drop --fp16/--bf16/--compile/--channels-last')
    if args.impl == 'official' and (reduced or args.compile
                                    or args.channels_last
                                    or args.norm_stats or args.reference):
        problems.append('--impl official is the reference itself (float32, '
                        'NCHW, eager, train-mode statistics): drop --fp16/'
                        '--bf16/--compile/--channels-last/--norm-stats/'
                        '--reference')
    if args.interleave_fp32 and not reduced:
        problems.append('--interleave-fp32 compares --dtype fp16/bf16 with '
                        'fp32: give one of them')
    if args.dtype == 'fp16' and not args.device.startswith('cuda'):
        problems.append('--fp16 needs --device cuda (use --bf16 on the CPU)')
    elif (args.dtype == 'bf16' and args.device == 'cpu'
          and not bf16_convolutions()):
        problems.append('--dtype bf16: this CPU cannot run bf16 convolutions '
                        'at all (oneDNN needs AVX512-BF16/AMX-BF16, or '
                        'AVX-512 BW/VL/DQ or AVX-NE-CONVERT to emulate them);'
                        ' run in fp32')
    elif args.dtype == 'bf16' and not args.allow_emulated_bf16:
        try:
            resolve_dtype(args.device, 'bf16')
        except (ValueError, RuntimeError) as err:
            problems.append(f'--dtype bf16: {err} (--allow-emulated-bf16 '
                            'runs it anyway)')
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        problems.append(f'--device {args.device}: CUDA is not available here')
    if problems:
        parser.error('; '.join(problems))
    return args


def load_generator(args):
    """The config's generator with the checkpoint's or random weights."""
    if args.checkpoint:
        return init_model(args.config, args.checkpoint,
                          cfg_options=args.cfg_options).generator
    return build_generator(args.config, args.cfg_options)


def _cpu_name():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _onnxruntime_version():
    import onnxruntime
    return onnxruntime.__version__


def _load():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def _allocator(args, device):
    if device.type != 'cpu':
        return 'n/a'
    mode = args.allocator
    if mode == 'auto':
        mode = 'tuned' if (args.impl == 'fast'
                           and args.backend == 'torch') else 'default'
    if mode == 'tuned' and not tune_cpu_allocator(
            force=args.allocator == 'tuned'):
        return 'default (tuning unavailable or disabled)'
    return mode


def run_benchmark(args):
    """Measure as ``args`` says; returns the results as a dict."""
    with tempfile.TemporaryDirectory(prefix='deblurkit-bench-') as work:
        return _run_benchmark(args, work)


def _run_benchmark(args, work):
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    allocator = _allocator(args, device)
    shape = tuple(args.shape)
    generator = load_generator(args)
    if args.impl == 'fast' and not has_fast_path(generator):
        args.impl = 'eager'  # what deblurkit.apis runs for this generator
    norm_stats = args.norm_stats or getattr(generator, 'norm_stats', None)
    if norm_stats is not None:
        generator.norm_stats = norm_stats
    reference = None
    if args.reference:
        state = osp.join(work, 'generator.pth')
        torch.save(generator.state_dict(), state)
        reference = SubprocessWorker(
            InferenceReference,
            dict(config=args.config, cfg_options=args.cfg_options,
                 state=state, shape=shape, batch_size=args.batch_size,
                 device=args.device, threads=torch.get_num_threads(),
                 allocator=args.reference_allocator, image=args.image))
    x = make_input(args.batch_size, shape, device, args.image)
    run, output_of = build_runner(args, generator, x, device, work)
    fp32_run = fp32_output_of = None
    if args.dtype != 'fp32' and args.backend == 'torch':
        fp32_run, fp32_output_of = _fp32_runner(args, generator, x, device)
    memory = PeakMemory(device)
    load_before = _load()
    memory.start()
    try:
        first_call = time_call(run, device)
        for _ in range(args.warmup - 1):
            time_call(run, device)
        ref_times, times, fp32_times = [], [], []
        for _ in range(args.warmup if args.interleave_fp32 else 0):
            time_call(fp32_run, device)
        for _ in range(args.warmup if reference else 0):
            reference.call('run')
        for _ in range(args.repeat):
            if reference:
                ref_times.append(reference.call('run'))
            times.append(time_call(run, device))
            if args.interleave_fp32:
                fp32_times.append(time_call(fp32_run, device))
        peak = memory.mb()
        result = _results(args, device, allocator, norm_stats, times,
                          first_call, peak, memory.method,
                          pad_multiple_of(generator))
        if args.dtype != 'fp32' and args.backend == 'torch':
            result['vs_fp32'] = _compare_with_fp32(
                output_of(x), fp32_output_of(x), fp32_times, times,
                args.batch_size)
        if reference:
            ref_peak, ref_method = reference.call('peak_memory')
            ref_out = reference.call('output')
            diff = None
            if norm_stats == 'per_image':
                # Train-mode statistics of one image are its own, so the
                # outputs must agree; in 'running' mode they differ anyway.
                diff = float((output_of(x)[:1].cpu() - ref_out).abs().max())
            ratios = [r / t for r, t in zip(ref_times, times)]
            result['reference'] = dict(
                what=REFERENCE_WHAT,
                allocator=args.reference_allocator,
                latency_s=summarize(ref_times),
                fps=args.batch_size / statistics.median(ref_times),
                peak_memory_mb=ref_peak,
                memory_method=ref_method,
                max_abs_diff=diff)
            result['speedup'] = dict(
                median_of_pairs=statistics.median(ratios),
                min=min(ratios),
                max=max(ratios),
                p10=float(np.percentile(ratios, 10)),
                p90=float(np.percentile(ratios, 90)),
                ratio_of_medians=statistics.median(ref_times) /
                statistics.median(times),
                pairs=ratios)
    finally:
        if reference:
            reference.close()
    result['load_average'] = dict(before=load_before, after=_load())
    # Counted last: its forward pass would otherwise stay in the tuned
    # allocator's heap and hide the measured path's peak memory.
    macs, params = generator_complexity(generator.cpu().float(), shape)
    result.update(
        macs_per_image=macs,
        params=params,
        gmacs_per_s=macs * args.batch_size /
        result['latency_s']['median'] / 1e9)
    return result


def _results(args, device, allocator, norm_stats, times, first_call, peak,
             memory_method, multiple):
    median = statistics.median(times)
    h, w = args.shape
    return dict(
        config=args.config,
        weights=args.checkpoint or 'random',
        shape=[h, w],
        padded_shape=list(padded_size((h, w), multiple)),
        batch_size=args.batch_size,
        device=str(device),
        device_name=torch.cuda.get_device_name(device)
        if device.type == 'cuda' else _cpu_name(),
        threads=torch.get_num_threads(),
        backend=args.backend,
        impl='onnxruntime' if args.backend == 'onnxruntime' else args.impl,
        dtype=str(_dtype(args)).replace('torch.', ''),
        channels_last=bool(args.channels_last if args.channels_last
                           is not None else args.impl == 'fast'
                           and args.backend == 'torch'),
        compile=args.compile,
        norm_stats=norm_stats,
        allocator=allocator,
        warmup=args.warmup,
        repeat=args.repeat,
        latency_s=summarize(times),
        first_call_s=first_call,
        fps=args.batch_size / median,
        peak_memory_mb=peak,
        memory_method=memory_method,
        torch=torch.__version__,
        onnxruntime=_onnxruntime_version() if args.backend == 'onnxruntime'
        else None)


def format_results(r):
    """The results as readable text."""
    lat = r['latency_s']
    mem = r['peak_memory_mb']
    lines = [
        f"config: {r['config']} (weights: {r['weights']})",
        f"input: {r['batch_size']}x3x{r['shape'][0]}x{r['shape'][1]} "
        f"(padded to {r['padded_shape'][0]}x{r['padded_shape'][1]}), "
        f"{r['device']} ({r['device_name']}, {r['threads']} threads)",
        f"path: {r['impl']} ({r['backend']}), {r['dtype']}, channels_last="
        f"{r['channels_last']}, compile={r['compile']}, norm_stats="
        f"{r['norm_stats']}, allocator={r['allocator']}",
        f"MACs: {r['macs_per_image'] / 1e9:.2f} G per image, parameters: "
        f"{r['params'] / 1e6:.2f} M",
        f"latency: median {lat['median']:.4f} s, p90 {lat['p90']:.4f} s "
        f"(min {lat['min']:.4f}, max {lat['max']:.4f}) over {r['repeat']} "
        f"calls; {r['fps']:.2f} fps; {r['gmacs_per_s']:.1f} GMAC/s; first "
        f"call {r['first_call_s']:.3f} s",
        'peak memory: ' + ('n/a' if mem is None else f'+{mem:.0f} MiB') +
        f" ({r['memory_method']})",
    ]
    if 'vs_fp32' in r:
        vs = r['vs_fp32']
        lines.append(f"output against the fp32 {r['impl']} path: PSNR "
                     f"{vs['psnr_db']:.2f} dB, max |difference| "
                     f"{vs['max_abs_diff']:.2e}")
        if 'speedup' in vs:
            sp = vs['speedup']
            lines.append(
                f"fp32 interleaved: median {vs['latency_s']['median']:.4f} s"
                f" ({vs['fps']:.2f} fps); speed-up {sp['median_of_pairs']:.2f}"
                f"x (median of {len(sp['pairs'])} pairs; min {sp['min']:.2f}"
                f", max {sp['max']:.2f})")
    if 'reference' in r:
        ref, sp = r['reference'], r['speedup']
        rlat = ref['latency_s']
        rmem = ref['peak_memory_mb']
        diff = ref['max_abs_diff']
        lines += [
            f"official-equivalent reference (allocator {ref['allocator']}): "
            f"median {rlat['median']:.4f} s, p90 {rlat['p90']:.4f} s "
            f"(min {rlat['min']:.4f}, max {rlat['max']:.4f}); peak memory "
            + ('n/a' if rmem is None else f'+{rmem:.0f} MiB'),
            f"speed-up: {sp['median_of_pairs']:.2f}x (median of "
            f"{len(sp['pairs'])} interleaved pairs; min {sp['min']:.2f}, "
            f"p10 {sp['p10']:.2f}, p90 {sp['p90']:.2f}, max {sp['max']:.2f})"
            + ('' if diff is None else
               f'; max |output - reference| = {diff:.1e}'),
        ]
    load = r.get('load_average') or {}
    if load.get('before'):
        lines.append('load average (1/5/15 min): before '
                     f"{'/'.join(f'{v:.2f}' for v in load['before'])}, "
                     f"after {'/'.join(f'{v:.2f}' for v in load['after'])}")
    return '\n'.join(lines)


def print_results(result, text, out=None):
    """Print ``text``; write ``result`` as JSON to ``out`` (atomically)
    when given."""
    print(text)
    if out:
        atomic_write(out, json.dumps(result, indent=2) + '\n', 'w', 'utf-8')
        print(f'wrote {out}')


@tool_main
def main(argv=None):
    args = parse_args(argv)
    result = run_benchmark(args)
    print_results(result, format_results(result), args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
