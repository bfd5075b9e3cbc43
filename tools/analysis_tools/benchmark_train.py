#!/usr/bin/env python
"""Time a config's training iteration: data loading and the model step.

    python tools/analysis_tools/benchmark_train.py \\
        configs/deblurganv2_mobilenet_gopro.py --shape 256 256 \\
        --batch-size 1 --iters 20 --reference --json train_bench.json

What is timed: the config's model (pretrained weights off: random
backbone and random VGG in the perceptual loss; the FLOPs are the same),
its optim wrapper (built with the config's constructor) and its training
data pipeline over ``--pairs`` generated image pairs of ``--frame-shape``
(PNG files in a temporary folder; the pipeline's pad and crop sizes are set
to ``--shape``), loaded by the config's ``train_dataloader`` settings
(workers, collate). Each iteration is split into

- ``data``: the wait for the next batch from the dataloader (the workers
  prepare batches while the model trains, so this is what the loading adds
  to an iteration, as mmengine's ``data_time``);
- ``step``: ``model.train_step(batch, optim_wrapper)``, i.e. the data
  preprocessor, the discriminator step and the generator step (CUDA is
  synchronised before and after).

``--reference`` also times an official-equivalent iteration
(``official_train_reference.py``: the official trainer's computation
rebuilt from the official code, eager NCHW float32, the same starting weights
and image files) in a process of its own, one reference iteration and one
measured iteration in turn, so the speed-up is a ratio of neighbouring
measurements on a noisy machine.

``--amp``: mixed precision, float16 AMP on CUDA, bfloat16 autocast on a CPU
with native bf16 (an error otherwise; ``--allow-emulated-bf16`` runs it
anyway, slowly).

Peak memory: on the CPU the increase of the peak resident set over the
timed iterations (VmHWM, reset through /proc/self/clear_refs; dataloader
workers are other processes and not counted); on CUDA
``max_memory_allocated`` above the memory allocated before.

Exit status: 0 on success, 2 for bad arguments (one line on stderr).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import cv2
import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from mmengine.config import Config, DictAction  # noqa: E402

from deblurkit.cli import (CONFIG_HELP, HelpFormatter,  # noqa
                           config_file, tool_main)
from deblurkit.engine.runner import (DeblurRunner,  # noqa: E402
                                     check_worker_niceness)

from tools.analysis_tools.benchmark import (PeakMemory, _cpu_name,  # noqa
                                            _load, summarize)
from tools.analysis_tools.subprocess_worker import SubprocessWorker  # noqa

LOSS_KEYS = ('loss_d', 'loss_g_adv', 'loss_content', 'loss_g')
REFERENCE_WHAT = (
    'official-equivalent iteration rebuilt from the official trainer: '
    'generator in '
    'train mode, double_gan RaGAN-LS discriminator step then generator step '
    '(D(real) recomputed with gradients), PerceptualLoss with in-place '
    'ImageNet normalisation and the VGG weights\' gradients on, Adam, the '
    'training PSNR/SSIM of each iteration; eager, NCHW, float32, in a '
    'separate process; data: OpenCV read + random crop (no augmentation) '
    'in the training process, as the official DataLoader has no workers')


class BenchmarkError(Exception):
    """Bad user input: one line, exit status 2."""


# ------------------------------------------------------------------- inputs
def write_pairs(folder, count, frame_shape, seed=0):
    """``count`` (blur, sharp) PNG pairs of ``frame_shape`` in ``folder``.

    Smooth random images (upsampled noise plus grain), so that PNG
    decoding costs about what it costs for photographs.

    Returns:
        list[tuple[str, str]]: The file pairs.
    """
    rng = np.random.default_rng(seed)
    h, w = frame_shape
    pairs = []
    for sub in ('blur', 'sharp'):
        os.makedirs(osp.join(folder, sub), exist_ok=True)
    for i in range(count):
        coarse = rng.uniform(0, 255, (max(h // 16, 2), max(w // 16, 2), 3))
        sharp = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        sharp = sharp + rng.normal(0, 4, sharp.shape)
        blur = cv2.GaussianBlur(sharp, (0, 0), 2)
        paths = []
        for sub, img in (('blur', blur), ('sharp', sharp)):
            path = osp.join(folder, sub, f'{i:04d}.png')
            if not cv2.imwrite(path, np.clip(img, 0, 255).astype(np.uint8)):
                raise OSError(f'cannot write {path}')
            paths.append(path)
        pairs.append(tuple(paths))
    return pairs


def set_pipeline_size(pipeline, shape):
    """Set the ``size`` of every pad/crop transform of ``pipeline``."""
    for transform in pipeline:
        if 'size' in transform:
            transform['size'] = tuple(shape)
    return pipeline


def load_config(args):
    if not osp.isfile(args.config):
        raise BenchmarkError(f'config {args.config!r} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    for key in ('model', 'optim_wrapper', 'train_dataloader'):
        if key not in cfg:
            raise BenchmarkError(f'config {args.config!r} has no `{key}`; '
                                 'benchmark_train.py needs a training config')
    model = cfg.model
    backbone = model.get('generator', {}).get('backbone')
    if isinstance(backbone, dict) and 'pretrained' in backbone:
        backbone['pretrained'] = False
    if model.get('content_loss', {}).get('type') == 'PerceptualLoss':
        model.content_loss['pretrained'] = False
    return cfg


def build_training(cfg, args, pairs_root):
    """The model, its optim wrapper and the dataloader, as a Runner would
    build them."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope
    from deblurkit.engine.optimizers import enable_mixed_precision
    from deblurkit.registry import MODELS
    scope = cfg.get('default_scope', 'deblurkit')
    if not DefaultScope.check_instance_created('benchmark_train'):
        DefaultScope.get_instance('benchmark_train', scope_name=scope)
    torch.manual_seed(0)
    device = torch.device(args.device)
    # The layers' own initialisation (init_weights would only log that it
    # changes nothing for these models).
    model = MODELS.build(cfg.model).to(device).train()
    optim_cfg = cfg.optim_wrapper.to_dict() if hasattr(
        cfg.optim_wrapper, 'to_dict') else dict(cfg.optim_wrapper)
    if args.amp:
        try:
            enable_mixed_precision(optim_cfg, device.type,
                                   args.allow_emulated_bf16)
        except RuntimeError as err:
            raise BenchmarkError(f'--amp: {err}') from None
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    loader_cfg = cfg.train_dataloader.to_dict() if hasattr(
        cfg.train_dataloader, 'to_dict') else dict(cfg.train_dataloader)
    pipeline = set_pipeline_size(
        list(loader_cfg['dataset'].get('pipeline', [])), args.shape)
    loader_cfg['dataset'] = dict(
        type='PairedFolderDataset',
        blur_root=osp.join(pairs_root, 'blur'),
        sharp_root=osp.join(pairs_root, 'sharp'),
        pipeline=pipeline)
    loader_cfg['batch_size'] = args.batch_size
    if args.num_workers is not None:
        loader_cfg['num_workers'] = args.num_workers
    if loader_cfg.get('num_workers', 0) == 0:
        loader_cfg['persistent_workers'] = False
    if args.worker_niceness is not None:
        loader_cfg['worker_niceness'] = args.worker_niceness
    # As tools/train.py builds it (the workers at low priority).
    loader = DeblurRunner.build_dataloader(loader_cfg, seed=0)
    return model, optim_wrapper, loader


def _sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


# ---------------------------------------------------------------- measuring
def timed_iteration(model, optim_wrapper, batches, device):
    """One iteration: ``(data_s, step_s, losses)``."""
    _sync(device)
    start = time.perf_counter()
    data = next(batches)
    loaded = time.perf_counter()
    log_vars = model.train_step(data, optim_wrapper)
    _sync(device)
    done = time.perf_counter()
    return loaded - start, done - loaded, {
        k: float(log_vars[k])
        for k in LOSS_KEYS if k in log_vars
    }


def _split(data, steps, batch_size):
    totals = [d + s for d, s in zip(data, steps)]
    return dict(
        iteration_s=summarize(totals),
        data_s=summarize(data),
        step_s=summarize(steps),
        samples_per_s=batch_size / statistics.median(totals),
    )


def frozen_iters_left(model):
    """Iterations from now on with the model's backbone frozen."""
    if model.backbone is None:
        return 0
    return max(0, model.warmup_iters - model.current_iter())


def reference_spec(args, cfg, model, pairs, work):
    """What :class:`OfficialTrainIteration` builds: the same weights."""
    state = osp.join(work, 'reference_state.pth')
    torch.save(
        dict(
            generator=model.generator.state_dict(),
            discriminator=model.discriminator.state_dict(),
            vgg=model.content_loss.vgg.state_dict()), state)
    optimizer = cfg.optim_wrapper.generator.optimizer
    return dict(
        config=args.config,
        cfg_options=dict(args.cfg_options or {}),
        state=state,
        pairs=pairs,
        shape=list(args.shape),
        batch_size=args.batch_size,
        # The official train.py's DataLoader has no workers.
        num_workers=0,
        device=args.device,
        threads=torch.get_num_threads(),
        lr=optimizer.get('lr', 1e-4),
        # The official warm-up freezes the encoder too, no gradient at all.
        frozen_iters=frozen_iters_left(model),
        adv_lambda=cfg.model.get('adv_lambda', 0.001))


def check_reference_model(model):
    from deblurkit.models.discriminators import DoubleScaleDiscriminator
    from deblurkit.models.losses import PerceptualLoss, RaGANLSLoss
    if not (isinstance(model.discriminator, DoubleScaleDiscriminator)
            and isinstance(model.adv_loss, RaGANLSLoss)
            and isinstance(model.content_loss, PerceptualLoss)):
        raise BenchmarkError(
            '--reference rebuilds the released recipe (double_gan, '
            'RaGAN-LS, perceptual loss); this config trains something else: '
            'drop --reference')


def run_benchmark(args):
    """Measure as ``args`` says; returns the results as a dict."""
    if args.threads:
        torch.set_num_threads(args.threads)
    allocator = 'default'
    if args.cpu_allocator == 'tuned':
        from deblurkit.runtime import tune_cpu_allocator
        allocator = 'tuned' if tune_cpu_allocator(force=True) else \
            'default (tuning unavailable)'
    cfg = load_config(args)
    device = torch.device(args.device)
    with tempfile.TemporaryDirectory(prefix='deblurkit-train-bench-') as work:
        pairs = write_pairs(osp.join(work, 'pairs'), args.pairs,
                            args.frame_shape)
        model, optim_wrapper, loader = build_training(
            cfg, args, osp.join(work, 'pairs'))
        reference = None
        if args.reference:
            check_reference_model(model)
            from tools.analysis_tools.official_train_reference import \
                OfficialTrainIteration
            reference = SubprocessWorker(
                OfficialTrainIteration,
                reference_spec(args, cfg, model, pairs, work))
        try:
            result = _measure(args, cfg, device, model, optim_wrapper,
                              loader, reference)
            result['allocator'] = allocator
            return result
        finally:
            if reference is not None:
                reference.close()


def _measure(args, cfg, device, model, optim_wrapper, loader, reference):
    batches = iter(loader)
    load_before = _load()
    frozen_iters = min(args.warmup + args.iters, frozen_iters_left(model))
    first = None
    for i in range(args.warmup):
        data_s, step_s, _ = timed_iteration(model, optim_wrapper, batches,
                                            device)
        if i == 0:
            first = data_s + step_s
        if reference is not None:
            reference.call('step')
    memory = PeakMemory(device)
    memory.start()
    data, steps, losses = [], [], []
    ref_data, ref_steps, ref_losses = [], [], []
    for _ in range(args.iters):
        if reference is not None:
            ref = reference.call('step')
            ref_data.append(ref['data_s'])
            ref_steps.append(ref['step_s'])
            ref_losses.append(ref['losses'])
        data_s, step_s, loss = timed_iteration(model, optim_wrapper, batches,
                                               device)
        data.append(data_s)
        steps.append(step_s)
        losses.append(loss)
    if first is None:  # no warm-up: the first timed iteration
        first = data[0] + steps[0]
    result = dict(
        config=args.config,
        shape=list(args.shape),
        frame_shape=list(args.frame_shape),
        batch_size=args.batch_size,
        iters=args.iters,
        warmup=args.warmup,
        device=str(device),
        device_name=torch.cuda.get_device_name(device)
        if device.type == 'cuda' else _cpu_name(),
        threads=torch.get_num_threads(),
        num_workers=loader.num_workers,
        worker_niceness=getattr(loader.worker_init_fn, 'niceness', 0)
        if loader.num_workers else None,
        amp=_amp_name(args, device),
        # Of the untimed + timed iterations, those in the model's warm-up
        # (backbone frozen; the reference freezes its encoder for as many).
        backbone_frozen_iters=frozen_iters,
        first_iteration_s=first,
        **_split(data, steps, args.batch_size),
        peak_memory_mb=memory.mb(),
        memory_method=memory.method,
        losses=losses,
        torch=torch.__version__)
    if reference is not None:
        peak, method = reference.call('peak_memory')
        ratios = [(rd + rs) / (d + s)
                  for rd, rs, d, s in zip(ref_data, ref_steps, data, steps)]
        step_ratios = [rs / s for rs, s in zip(ref_steps, steps)]
        result['reference'] = dict(
            what=REFERENCE_WHAT,
            **_split(ref_data, ref_steps, args.batch_size),
            peak_memory_mb=peak,
            memory_method=method,
            losses=ref_losses)
        result['speedup'] = dict(
            iteration_median_of_pairs=statistics.median(ratios),
            step_median_of_pairs=statistics.median(step_ratios),
            iteration_min=min(ratios),
            iteration_max=max(ratios),
            pairs=ratios)
    result['load_average'] = dict(before=load_before, after=_load())
    return result


def _amp_name(args, device):
    if not args.amp:
        return None
    return 'float16 AMP' if device.type == 'cuda' else 'bfloat16 autocast'


def _phase(r):
    frozen = r.get('backbone_frozen_iters', 0)
    total = r['warmup'] + r['iters']
    if frozen == 0:
        return 'whole generator trained (after warm-up)'
    if frozen >= total:
        return 'backbone frozen (warm-up) in every iteration'
    return f'backbone frozen (warm-up) in the first {frozen} of {total}'


def format_results(r):
    """The results as readable text."""

    def line(name, res):
        it, da, st = res['iteration_s'], res['data_s'], res['step_s']
        mem = res['peak_memory_mb']
        return (f"{name}: iteration median {it['median']:.4f} s, p90 "
                f"{it['p90']:.4f} s (data median {da['median']:.4f} s, p90 "
                f"{da['p90']:.4f} s; step median {st['median']:.4f} s, p90 "
                f"{st['p90']:.4f} s); {res['samples_per_s']:.2f} samples/s; "
                'peak memory ' +
                ('n/a' if mem is None else f'+{mem:.0f} MiB'))

    lines = [
        f"config: {r['config']}",
        f"batch: {r['batch_size']}x3x{r['shape'][0]}x{r['shape'][1]} crops "
        f"of {r['frame_shape'][0]}x{r['frame_shape'][1]} frames, "
        f"{r['num_workers']} loader workers"
        + (f" (niceness +{r['worker_niceness']})"
           if r.get('worker_niceness') else '') + f"; {r['device']} "
        f"({r['device_name']}, {r['threads']} threads); precision "
        f"{r['amp'] or 'float32'}; allocator {r['allocator']}",
        f"{r['iters']} timed iterations after {r['warmup']} warm-up "
        f"(first: {r['first_iteration_s']:.3f} s); " + _phase(r),
        line('deblurkit', r),
    ]
    if 'reference' in r:
        sp = r['speedup']
        lines += [
            line('official-equivalent reference', r['reference']),
            f"speed-up: iteration {sp['iteration_median_of_pairs']:.2f}x, "
            f"model step {sp['step_median_of_pairs']:.2f}x (medians of "
            f"{len(sp['pairs'])} interleaved pairs; iteration min "
            f"{sp['iteration_min']:.2f}, max {sp['iteration_max']:.2f})",
        ]
    load = r.get('load_average') or {}
    if load.get('before'):
        lines.append('load average (1/5/15 min): before '
                     f"{'/'.join(f'{v:.2f}' for v in load['before'])}, "
                     f"after {'/'.join(f'{v:.2f}' for v in load['after'])}")
    return '\n'.join(lines)


# ------------------------------------------------------------------ command
class _Parser(argparse.ArgumentParser):

    def error(self, message):
        self.exit(2, f'error: {message}\n')


def parse_args(argv=None):
    parser = _Parser(description=__doc__.split('\n')[0], formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument('--shape', type=int, nargs=2, default=[256, 256],
                        metavar=('H', 'W'), help='training crop size')
    parser.add_argument(
        '--frame-shape', type=int, nargs=2, default=None, metavar=('H', 'W'),
        help='size of the generated frames the crops come from (default: '
        '720 1280, a GoPro frame, or --shape if larger)')
    parser.add_argument('--pairs', type=int, default=4,
                        help='generated image pairs (default 4)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='crops per iteration')
    parser.add_argument('--iters', type=int, default=10,
                        help='timed iterations')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed iterations first')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (fp16 AMP on CUDA, bf16 on a '
                        'CPU with native bf16)')
    parser.add_argument('--allow-emulated-bf16', action='store_true',
                        help='with --amp on a CPU without native bf16: run '
                        'it emulated (slow; for checks)')
    parser.add_argument('--reference', action='store_true',
                        help='also time the official-equivalent iteration, '
                        'interleaved, in its own process')
    parser.add_argument('--num-workers', type=int,
                        help="dataloader workers (default: the config's)")
    parser.add_argument(
        '--worker-niceness', type=int, metavar='N',
        help='niceness added to the dataloader workers, 0-19 (default: '
        "the config's worker_niceness, else 19, as tools/train.py; 0 runs "
        'them at the priority of the training process)')
    parser.add_argument(
        '--cpu-allocator', choices=('tuned', 'default'), default='tuned',
        help="this process's glibc allocator, as tools/train.py's option of "
        "the same name (default tuned; the reference keeps glibc's)")
    parser.add_argument('--threads', type=int,
                        help="torch CPU threads (default: torch's)")
    parser.add_argument('--json', metavar='OUT',
                        help='write the results as JSON here')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. model.warmup_iters=0')
    args = parser.parse_args(argv)
    problems = []
    if min(args.shape) < 64 or any(s % 32 for s in args.shape):
        # 32 would leave 1x1 maps at stride 32, which train-mode batch
        # norms refuse at batch size 1.
        problems.append('--shape: H and W must be multiples of 32 (the '
                        "generator's stride) and at least 64, e.g. --shape "
                        '256 256')
    if args.frame_shape is None:
        args.frame_shape = [max(720, args.shape[0]), max(1280, args.shape[1])]
    elif any(f < s for f, s in zip(args.frame_shape, args.shape)):
        problems.append('--frame-shape must be at least --shape')
    if args.iters < 1 or args.batch_size < 1 or args.pairs < 1:
        problems.append('--iters, --batch-size and --pairs must be >= 1')
    if args.warmup < 0 or (args.num_workers or 0) < 0:
        problems.append('--warmup and --num-workers must be >= 0')
    try:
        check_worker_niceness(args.worker_niceness)
    except ValueError:
        problems.append('--worker-niceness must be from 0 to 19')
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        problems.append(f'--device {args.device}: CUDA is not available')
    elif not args.device.startswith(('cuda', 'cpu')):
        problems.append(f'--device {args.device}: use cpu or cuda[:N]')
    if args.json and osp.abspath(args.json) == osp.abspath(args.config):
        problems.append('--json would overwrite the config')
    if problems:
        parser.error('; '.join(problems))
    return args


@tool_main
def main(argv=None):
    args = parse_args(argv)
    try:
        result = run_benchmark(args)
    except BenchmarkError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(format_results(result))
    if args.json:
        from deblurkit.engine import atomic_write
        atomic_write(args.json, json.dumps(result, indent=2) + '\n', 'w',
                     'utf-8')
        print(f'wrote {args.json}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
