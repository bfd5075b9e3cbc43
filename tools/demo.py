#!/usr/bin/env python
"""`make demo`: train a DeblurGAN-v2 on synthetic blur and show it works.

    python tools/demo.py --work-dir work_dirs/demo --data-root data/demo

1. synthesises a small blur dataset in the GoPro layout (procedural
   dead-leaves images, camera-shake blur) unless it is already there;
2. trains ``configs/deblurganv2_mobilenet_demo.py`` with mmengine's Runner;
3. evaluates the final checkpoint on the demo test split and writes, under
   the work dir: ``metrics.json`` (PSNR/SSIM of the blurred inputs and of
   the deblurred outputs), ``demo_grid.png`` (blurred | deblurred | sharp
   with each row's PSNR, then a zoomed crop of each: the most detailed
   part of the sharp image, marked on the pictures), ``training_curves.png``
   (each loss and each validation metric on its own axis) and
   ``deblurganv2_mobilenet_demo.pth`` (the checkpoint), and prints a table;
4. measures the checkpoint on photographs blurred by a process it was not
   trained on (``tools/analysis_tools/natural_photo_eval.py``): the photos
   of ``--photos``, or matplotlib's sample photographs when it is
   installed, giving ``photos/natural_eval.json`` and
   ``photos/natural_grid.png``;
5. measures a second checkpoint of the demo config the same way beside the
   model trained live: by default the one shipped in ``checkpoints/`` (the
   demo config trained longer on the same synthetic data), or ``K`` of
   ``--compare-checkpoint K`` (``none``: skip it): the ``compared`` entry
   of ``metrics.json`` and ``compared/photos/``.
"""
import argparse
import json
import os.path as osp
import sys
import time

import cv2
import numpy as np
import torch

from deblurkit.cli import (CONFIG_HELP, HelpFormatter, UserError,
                           config_file, tool_main)

DEMO_CONFIG = 'configs/deblurganv2_mobilenet_demo.py'
CHECKPOINT_NAME = 'deblurganv2_mobilenet_demo.pth'
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The demo config trained much longer on the same synthetic data, shipped
#: in the repository (checkpoints/README.md: the command and log that made
#: it). A synthetic-data model, not the authors' weights. ``make demo``
#: measures it beside the model it trains live.
SHIPPED_CHECKPOINT = osp.join(REPO, 'checkpoints',
                              'deblurganv2_mobilenet_demo_synthetic.pth')

#: The demo's blur, noise and camera model (docs/user_guides/
#: synthesize_data.md explains each field). Three pairs in ten nearly still
#: (``still_prob``; 0.1 by default) and a lens softness of up to 1.6 px on
#: the sharp targets: the model tends to sharpen photos that are already
#: nearly sharp, and both make it more restrained there at some cost in
#: blur removal (synthesize_data.md and the demo config give the figures).
DEMO_BLUR = dict(random_centre=True, linear_noise=True, tone=0.15, noise=3.0,
                 still_prob=0.3, noise_prob=0.7, jpeg_quality=60,
                 jpeg_prob=0.5, lens_sigma=1.6)
#: The demo's procedural images: larger regions than the classic
#: scale-invariant model (power 2.2-2.9 instead of 2.6-3.2, closer to how
#: photographs are framed) and a fine surface grain on most leaves.
DEMO_DEAD_LEAVES = dict(power=[2.2, 2.9], surface_prob=0.6)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='where the checkpoint, metrics and pictures go')
    parser.add_argument('--data-root', default='data/demo',
                        help='the synthetic dataset (made if missing)')
    parser.add_argument('--config', default=DEMO_CONFIG, type=config_file,
                        help=CONFIG_HELP)
    parser.add_argument(
        '--num-train', type=int, default=480, help='synthetic train pairs')
    parser.add_argument(
        '--num-test', type=int, default=48, help='synthetic test pairs')
    parser.add_argument(
        '--size', type=int, default=160, help='synthetic image size')
    parser.add_argument(
        '--max-blur',
        type=float,
        default=10.0,
        help='longest camera-shake path in pixels')
    parser.add_argument(
        '--still-prob',
        type=float,
        default=DEMO_BLUR['still_prob'],
        help='share of training and test pairs with a nearly still camera '
        '(under 1.5 px), which teach the model to leave sharp detail alone')
    parser.add_argument(
        '--sharp-dir', help='train on crops of your own sharp photos in '
        'this folder instead of procedural images')
    parser.add_argument(
        '--photos', help='sharp photos to measure the checkpoint on, blurred '
        'by a process it was not trained on (default: matplotlib\'s sample '
        'photographs); keep them out of --sharp-dir')
    parser.add_argument(
        '--max-iters', type=int, help='training iterations (config default)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the data and of training')
    parser.add_argument(
        '--grid-images', type=int, default=4, help='rows of the picture')
    parser.add_argument(
        '--compare-checkpoint', default=None,
        help='a checkpoint of the demo config (e.g. from a longer run: '
        '--max-iters 10000) to measure beside the one trained live; by '
        'default the one shipped in checkpoints/ with the demo config, '
        '"none" for none')
    return parser.parse_args(argv)


# ------------------------------------------------------------------ data
def ensure_dataset(args):
    """Synthesise the demo data unless a complete set is already there."""
    from deblurkit.synthesis import (MANIFEST, BlurSettings,
                                     list_complete_pairs, write_blur_dataset)
    manifest = osp.join(args.data_root, MANIFEST)
    try:
        settings = BlurSettings(**{
            **DEMO_BLUR, 'max_length': args.max_blur,
            'still_prob': args.still_prob
        })
    except ValueError as err:
        raise UserError(f'--max-blur / --still-prob: {err}') from None
    sharp_dir = osp.abspath(args.sharp_dir) if args.sharp_dir else None
    dead_leaves = None if sharp_dir else DEMO_DEAD_LEAVES
    wanted = dict(
        size=[args.size, args.size],
        seed=args.seed,
        num_train=args.num_train,
        num_test=args.num_test,
        settings=settings.to_dict(),
        sharp_dir=sharp_dir,
        dead_leaves=dead_leaves)
    if osp.isfile(manifest):
        with open(manifest) as f:
            info = json.load(f)
        found = dict(
            size=info.get('size'),
            seed=info.get('seed'),
            num_train=info.get('num_train'),
            num_test=info.get('num_test'),
            settings=info.get('settings'),
            sharp_dir=info.get('sharp_dir'),
            dead_leaves=info.get('dead_leaves'))
        complete = found == wanted and (
            len(list_complete_pairs(osp.join(args.data_root, 'train'))) ==
            info.get('num_train') and
            len(list_complete_pairs(osp.join(args.data_root, 'test'))) ==
            info.get('num_test'))
        if complete:
            print(f'[demo] using the synthetic data in {args.data_root}')
            return
    what = f'crops of {sharp_dir}' if sharp_dir else 'dead-leaves images'
    print(f'[demo] synthesising {args.num_train} + {args.num_test} blurred/'
          f'sharp pairs of {args.size}x{args.size} ({what}) into '
          f'{args.data_root}')
    write_blur_dataset(
        args.data_root,
        args.num_train,
        args.num_test,
        size=(args.size, args.size),
        seed=args.seed,
        sharp_dir=sharp_dir,
        settings=settings,
        overwrite=osp.exists(args.data_root),
        dead_leaves=dead_leaves)


# ----------------------------------------------------------------- train
def train(args):
    from deblurkit.engine import build_runner
    from deblurkit.engine.runner_config import load_runner_config
    options = {
        'train_dataloader.dataset.data_root': osp.join(args.data_root,
                                                       'train'),
        'val_dataloader.dataset.data_root': osp.join(args.data_root, 'test'),
        'test_dataloader.dataset.data_root': osp.join(args.data_root,
                                                      'test'),
        'randomness.seed': args.seed,
    }
    if args.max_iters:
        options.update({
            'train_cfg.max_iters': args.max_iters,
            'param_scheduler.0.T_max': args.max_iters,
            'param_scheduler.0.end': args.max_iters,
            'default_hooks.checkpoint.interval': max(1, args.max_iters // 4),
            'train_cfg.val_interval': max(1, args.max_iters // 4),
        })
    cfg = load_runner_config(args.config, options, args.work_dir)
    # DeblurRunner: mmengine's start-up dump goes to the log file only.
    runner = build_runner(cfg)
    runner.train()
    last = osp.join(args.work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
    checkpoint = osp.join(args.work_dir, CHECKPOINT_NAME)
    # The weights and their metadata only (a third of the size): the
    # optimizer's state for resuming stays in iter_N.pth.
    state = torch.load(last, map_location='cpu', weights_only=True)
    from deblurkit.fileio import atomic_output
    with atomic_output(checkpoint) as tmp:
        torch.save({'meta': state.get('meta', {}),
                    'state_dict': state['state_dict']}, tmp)
    return cfg, checkpoint, runner.log_dir


# -------------------------------------------------------------- evaluate
def to_uint8(tensor):
    from deblurkit.fileio import tensor2img
    return tensor2img(tensor, bgr=False)


def evaluate(cfg, checkpoint):
    """Blurred and deblurred PSNR/SSIM on the test split, and the images."""
    from mmengine.dataset import pseudo_collate

    from deblurkit.apis import init_model
    from deblurkit.evaluation import calculate_psnr, calculate_ssim
    from deblurkit.registry import DATASETS
    model = init_model(cfg, checkpoint)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    scores = {k: [] for k in ('blurred', 'deblurred')}
    triplets = []
    for index in range(len(dataset)):
        with torch.no_grad():
            sample = model.test_step(pseudo_collate([dataset[index]]))[0]
        blurred, pred, sharp = (to_uint8(sample.input_img),
                                to_uint8(sample.pred_img),
                                to_uint8(sample.gt_img))
        for name, img in (('blurred', blurred), ('deblurred', pred)):
            scores[name].append((calculate_psnr(img, sharp),
                                 calculate_ssim(img, sharp)))
        triplets.append((blurred, pred, sharp))
    metrics = {
        name: dict(
            PSNR=float(np.mean([p for p, _ in values])),
            SSIM=float(np.mean([s for _, s in values])))
        for name, values in scores.items()
    }
    metrics['gain'] = dict(
        PSNR=metrics['deblurred']['PSNR'] - metrics['blurred']['PSNR'],
        SSIM=metrics['deblurred']['SSIM'] - metrics['blurred']['SSIM'])
    metrics['num_images'] = len(dataset)
    psnrs = [(b[0], d[0])
             for b, d in zip(scores['blurred'], scores['deblurred'])]
    return metrics, triplets, psnrs


# -------------------------------------------------------------- pictures
def save_png(path, rgb):
    from deblurkit.fileio import write_image_file
    write_image_file(path, np.ascontiguousarray(rgb[..., ::-1]))


#: Height of each picture of the grid (the 160-pixel demo images shown
#: at 2x), the gap between pictures and the header's height.
TILE, GAP, HEADER = 320, 6, 34
#: Side of the zoomed crop, as a fraction of the image's shorter side.
ZOOM_FRACTION = 0.3
BOX_COLOUR = (255, 200, 0)  # RGB
COLUMNS = ('blurred input', 'deblurred', 'sharp', 'zoom: blurred',
           'zoom: deblurred', 'zoom: sharp')


def enlarge(img, height):
    """``img`` scaled to ``height`` rows with nearest-neighbour pixels."""
    h, w = img.shape[:2]
    return cv2.resize(img, (round(w * height / h), height),
                      interpolation=cv2.INTER_NEAREST)


def grid_row(blurred, pred, sharp, psnr_blurred, psnr_pred):
    """One row: the three images at :data:`TILE` height with the crop
    marked and PSNR written on the blurred and deblurred ones, then the
    crop of each, enlarged to :data:`TILE` (RGB uint8 in, out)."""
    from deblurkit.visualization import detail_box, draw_box, draw_label
    from deblurkit.visualization import zoom as zoom_crop
    h = sharp.shape[0]
    size = max(8, round(min(sharp.shape[:2]) * ZOOM_FRACTION))
    x, y = detail_box(cv2.cvtColor(sharp, cv2.COLOR_RGB2GRAY), size)
    scale = TILE / h
    tiles, zooms = [], []
    for img in (blurred, pred, sharp):
        big = enlarge(img, TILE)
        draw_box(big, round(x * scale), round(y * scale), round(size * scale),
                 BOX_COLOUR, 2)
        tiles.append(big)
        zooms.append(zoom_crop(img, x, y, size, TILE))
    draw_label(tiles[0], f'PSNR {psnr_blurred:.2f} dB', 4, 4, scale=0.6)
    draw_label(tiles[1], f'PSNR {psnr_pred:.2f} dB '
               f'({psnr_pred - psnr_blurred:+.2f})', 4, 4, scale=0.6)
    return _join(tiles + zooms, axis=1)


def _join(images, axis):
    shape = list(images[0].shape)
    shape[axis] = GAP
    gap = np.full(shape, 255, np.uint8)
    parts = [p for img in images for p in (gap, img)][1:]
    return np.concatenate(parts, axis=axis)


def grid_image(triplets, psnrs):
    """Rows of blurred | deblurred | sharp and the three zoomed crops
    (:func:`grid_row`) under a header naming the columns. ``psnrs``: the
    ``(blurred, deblurred)`` PSNR of each row."""
    rows = [grid_row(*t, *p) for t, p in zip(triplets, psnrs)]
    grid = _join(rows, axis=0)
    header = np.full((HEADER, grid.shape[1], 3), 255, np.uint8)
    width = rows[0].shape[1] // len(COLUMNS)
    for i, label in enumerate(COLUMNS):
        cv2.putText(header, label, (i * (width + GAP) + 8, HEADER - 10),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([header, grid], axis=0)


def photo_eval_module():
    """tools/analysis_tools/natural_photo_eval.py, imported."""
    folder = osp.join(osp.dirname(osp.abspath(__file__)), 'analysis_tools')
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import natural_photo_eval
    return natural_photo_eval


def photos_folder(args):
    """The held-out photos to measure on, or None (with a note)."""
    photos = args.photos or photo_eval_module().default_photos()
    if photos is None:
        print('[demo] no --photos and no matplotlib sample photographs: '
              'skipping the measurement on photographs')
        return None
    if args.photos and not osp.isdir(args.photos):
        raise UserError(f'--photos {args.photos!r} is not a folder; pass a '
                        'folder of sharp colour photographs.')
    if args.sharp_dir and osp.realpath(photos) == osp.realpath(
            args.sharp_dir):
        raise UserError('--photos and --sharp-dir are the same folder: the '
                        'photos the checkpoint is measured on must be held '
                        'out of training; pass another folder.')
    return photos


def photo_metrics(config, checkpoint, photos, out_dir):
    """Measure ``checkpoint`` on ``photos`` with natural_photo_eval."""
    tool = photo_eval_module()
    report = tool.run(config, checkpoint, photos, out_dir)
    print(f'\n[demo] {osp.basename(checkpoint)} on {len(report["images"])} '
          f'photographs of {photos}, blurred by a process it was not '
          f'trained on (PSNR, dB):\n' + tool.format_report(report))
    return {k: v for k, v in report.items() if k not in ('config', 'photos')}


def photos_summary(report, width=0):
    """``blurred -> deblurred, gain G (worst photo W)`` of a photo report,
    the first number right-aligned in ``width`` characters."""
    return (f'{report["mean_psnr_blurred"]:{width}.2f} -> '
            f'{report["mean_psnr_deblurred"]:.2f}, gain '
            f'{report["mean_gain"]:+.2f} (worst photo '
            f'{report["worst_gain"]:+.2f})')


def compared_checkpoint(args):
    """The checkpoint to measure beside the live model, or None."""
    path = args.compare_checkpoint
    demo_config = osp.realpath(args.config) == osp.realpath(
        osp.join(REPO, DEMO_CONFIG))
    if path is None:  # the shipped checkpoint fits the demo config only
        shipped = demo_config and osp.isfile(SHIPPED_CHECKPOINT)
        return SHIPPED_CHECKPOINT if shipped else None
    if path.lower() == 'none':
        return None
    if not osp.isfile(path):
        raise UserError(f'--compare-checkpoint {path!r} is not a file; pass '
                        'a checkpoint of the demo config.')
    if not demo_config:
        raise UserError(f'--compare-checkpoint needs the demo config; '
                        f'--config is {args.config}: leave one of them out.')
    return path


@tool_main
def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    photos = photos_folder(args)
    compared = compared_checkpoint(args)
    ensure_dataset(args)
    cfg, checkpoint, log_dir = train(args)
    train_done = time.time()
    metrics, triplets, psnrs = evaluate(cfg, checkpoint)
    metrics.update(
        checkpoint=checkpoint,
        config=args.config,
        iterations=cfg.train_cfg.max_iters,
        train_and_synthesis_seconds=round(train_done - start, 1))
    if photos is not None:
        metrics['photos'] = photo_metrics(
            args.config, checkpoint, photos, osp.join(args.work_dir,
                                                      'photos'))
    if compared is not None:
        metrics['compared'], _, _ = evaluate(cfg, compared)
        metrics['compared']['checkpoint'] = compared
        if photos is not None:
            metrics['compared']['photos'] = photo_metrics(
                args.config, compared, photos,
                osp.join(args.work_dir, 'compared', 'photos'))
    metrics['total_seconds'] = round(time.time() - start, 1)
    from deblurkit.engine import atomic_write
    atomic_write(
        osp.join(args.work_dir, 'metrics.json'),
        json.dumps(metrics, indent=2), 'w')
    rows = min(args.grid_images, len(triplets))
    save_png(
        osp.join(args.work_dir, 'demo_grid.png'),
        grid_image(triplets[:rows], psnrs[:rows]))
    from deblurkit.visualization.curves import plot_curves, read_scalars
    train_log, val_log = read_scalars(log_dir)
    plot_curves(
        osp.join(args.work_dir, 'training_curves.png'), train_log, val_log,
        baselines=metrics['blurred'],
        title='make demo: training losses and validation on the test split')

    b, d, g = metrics['blurred'], metrics['deblurred'], metrics['gain']
    print(f'\n[demo] {metrics["num_images"]} test images, '
          f'{metrics["iterations"]} training iterations, '
          f'{metrics["total_seconds"] / 60:.1f} min in all\n'
          f'                 PSNR (dB)    SSIM\n'
          f'blurred input    {b["PSNR"]:9.2f}  {b["SSIM"]:.4f}\n'
          f'deblurred        {d["PSNR"]:9.2f}  {d["SSIM"]:.4f}\n'
          f'gain             {g["PSNR"]:+9.2f}  {g["SSIM"]:+.4f}')
    if photos is not None:
        print(f'photographs       {photos_summary(metrics["photos"], 9)}')
    if compared is not None:
        s = metrics['compared']
        what = ('the shipped checkpoint (the demo config trained longer on '
                'the same synthetic data; checkpoints/README.md)'
                if compared == SHIPPED_CHECKPOINT else
                f'the compared checkpoint ({osp.basename(compared)})')
        line = (f'\n[demo] {what}'
                f': {s["blurred"]["PSNR"]:.2f} -> {s["deblurred"]["PSNR"]:.2f}'
                f' dB, gain {s["gain"]["PSNR"]:+.2f} on the test split')
        if photos is not None:
            line += f'; photographs {photos_summary(s["photos"])}'
        print(line)
    print(f'\n[demo] wrote {args.work_dir}/metrics.json, demo_grid.png, '
          f'training_curves.png, {CHECKPOINT_NAME}'
          + (', photos/natural_grid.png' if photos else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
