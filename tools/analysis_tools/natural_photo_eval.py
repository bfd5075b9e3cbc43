#!/usr/bin/env python
"""How much a checkpoint deblurs photographs blurred by a process it never
saw in training.

    python tools/analysis_tools/natural_photo_eval.py \\
        configs/deblurganv2_mobilenet_demo.py \\
        work_dirs/demo/deblurganv2_mobilenet_demo.pth \\
        --photos my_sharp_photos/ --out work_dirs/demo/photos

Every photo in ``--photos`` (default: the sample photographs bundled with
matplotlib, if it is installed) is scaled so its longer side is at most
``--max-side`` (area averaging, which also makes it crisper), blurred by
:func:`heldout_blur` with a generator seeded by ``(--seed, index)``, and
deblurred; the tool prints and writes (``natural_eval.json``) each photo's
PSNR of the blurred input and of the output against the sharp photo, the
gains and their mean, and draws ``natural_grid.png`` (blurred | deblurred |
sharp, and a zoomed crop of each, for a window of each photo).

The held-out blur differs from the training blur of
:mod:`deblurkit.synthesis` on purpose, so that the figure says how well a
model generalises rather than how well it fits its own blur:

- the camera path is a sum of a few random sinusoids (hand tremor) plus a
  drift, not Boracchi & Foi's random walk;
- the rotation is about a random point of the frame, not its centre, and
  the frame also zooms slightly (forward motion);
- frames are warped with bicubic, not bilinear, interpolation and averaged
  in linear light, one frame per half pixel of motion;
- Poisson-Gaussian noise is added in linear light (the raw sensor signal)
  before the sRGB encoding, then the image is stored as 8-bit JPEG.

Exit codes: 0 done; 2 bad arguments (a missing folder, no photo in it, a
config or checkpoint that cannot be read).
"""
import argparse
import glob
import json
import os.path as osp
import sys

import cv2
import numpy as np

from deblurkit.cli import (CONFIG_HELP, HelpFormatter, UserError, config_file,
                           tool_main, user_errors)

#: Side of the window of each photo shown in the grid (one row per photo).
GRID_WINDOW = 320


def heldout_blur(sharp,
                 rng,
                 min_length=4.0,
                 max_length=10.0,
                 max_rotation_px=3.0,
                 max_zoom_px=2.0,
                 noise=(0.5e-4, 4e-4),
                 read_noise=(1e-3, 4e-3),
                 jpeg_quality=90):
    """Blur a sharp sRGB photo by a camera-shake process unlike training's.

    Args:
        sharp (np.ndarray): ``H x W x 3`` float32 sRGB in [0, 1].
        rng (np.random.Generator): Source of randomness.
        min_length, max_length (float): Range of the path length in pixels.
        max_rotation_px (float): Largest rotation over the exposure, as the
            displacement of the farthest pixel from the rotation centre.
        max_zoom_px (float): Largest zoom over the exposure, as the
            displacement of the farthest pixel.
        noise (tuple[float, float]): Range of the shot-noise variance per
            unit linear intensity.
        read_noise (tuple[float, float]): Range of the read-noise standard
            deviation in linear units.
        jpeg_quality (int | None): JPEG quality of the stored image; None
            for none.

    Returns:
        np.ndarray: ``H x W x 3`` float32 blurred sRGB image in [0, 1],
        quantised to 8 bits.
    """
    from deblurkit.synthesis import (jpeg_compress, linear_to_srgb,
                                     srgb_to_linear)
    height, width = sharp.shape[:2]
    length = rng.uniform(min_length, max_length)
    # Hand tremor: a few sinusoids per axis, amplitudes falling with
    # frequency, plus a straight drift.
    t = np.linspace(0.0, 1.0, 512)
    path = np.outer(t, rng.normal(0, 1, 2))
    for freq in rng.uniform(0.3, 1.6, 3):
        amp = rng.normal(0, 1 / freq, 2)
        path += np.sin(2 * np.pi * freq * t[:, None] +
                       rng.uniform(0, 2 * np.pi, 2)) * amp
    arc = np.linalg.norm(np.diff(path, axis=0), axis=1).sum()
    path *= length / max(arc, 1e-9)
    centre = rng.uniform((0, 0), (width, height))
    reach = np.hypot(max(centre[0], width - centre[0]),
                     max(centre[1], height - centre[1]))
    angle = rng.uniform(-max_rotation_px, max_rotation_px) / reach
    zoom = rng.uniform(-max_zoom_px, max_zoom_px) / reach
    frames = int(
        np.ceil(2 * max(length,
                        abs(angle) * reach,
                        abs(zoom) * reach))) + 2
    times = np.linspace(0.0, 1.0, frames)
    shifts = np.stack([np.interp(times, t, path[:, i]) for i in range(2)], 1)
    shifts -= shifts.mean(axis=0)
    linear = srgb_to_linear(sharp)
    total = np.zeros_like(linear)
    for step, shift in zip(times - 0.5, shifts):
        matrix = cv2.getRotationMatrix2D(tuple(centre),
                                         np.degrees(angle * step),
                                         1 + zoom * step)
        matrix[:, 2] += shift
        total += cv2.warpAffine(linear,
                                matrix, (width, height),
                                flags=cv2.INTER_CUBIC,
                                borderMode=cv2.BORDER_REFLECT_101)
    blurred = np.clip(total / frames, 0, 1)
    shot = rng.uniform(*noise)
    read = rng.uniform(*read_noise)
    sigma = np.sqrt(shot * blurred + read**2)
    blurred = blurred + sigma * rng.standard_normal(blurred.shape)
    blurred = linear_to_srgb(blurred.astype(np.float32))
    if jpeg_quality is not None:
        return jpeg_compress(blurred, jpeg_quality)
    return np.round(blurred * 255).astype(np.float32) / 255


def default_photos():
    """The photographs bundled with matplotlib (a soft dependency: only a
    path is returned), or None."""
    try:
        import matplotlib
    except ImportError:
        return None
    folder = osp.join(osp.dirname(matplotlib.__file__), 'mpl-data',
                      'sample_data')
    return folder if glob.glob(osp.join(folder, '*.jpg')) else None


#: Files of matplotlib's sample_data folder that are not photographs.
MATPLOTLIB_NON_PHOTOS = ('logo2.png', 'Minduka_Present_Blue_Pack.png')


def list_photos(folder):
    """The image files directly in ``folder`` (not recursive), without
    matplotlib's logos when it is its sample-data folder; grey and tiny
    images are left out later, by :func:`load_photo`."""
    from deblurkit.fileio import scan_images
    skip = MATPLOTLIB_NON_PHOTOS if default_photos() and osp.samefile(
        folder, default_photos()) else ()
    return [
        osp.join(folder, rel) for rel in scan_images(folder)
        if '/' not in rel and rel not in skip
    ]


def load_photo(path, max_side):
    """``H x W x 3`` float32 RGB in [0, 1], the longer side <= max_side,
    or None for a grey or tiny image."""
    from deblurkit.fileio import read_image_file
    img = read_image_file(path)
    if img.ndim != 3 or img.shape[2] < 3 or min(img.shape[:2]) < 64:
        return None
    img = img[..., :3]
    scale = max_side / max(img.shape[:2])
    if scale < 1:
        img = cv2.resize(img,
                         None,
                         fx=scale,
                         fy=scale,
                         interpolation=cv2.INTER_AREA)
    rgb = img[..., ::-1].astype(np.float32) / np.iinfo(img.dtype).max
    if np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean() < 1e-3:
        return None  # grey stored as colour
    return np.ascontiguousarray(rgb)


def grid_window(images):
    """Crop each image of a triplet to one :data:`GRID_WINDOW` square
    around the sharp image's most detailed part."""
    from deblurkit.visualization import detail_box
    sharp = images[-1]
    h, w = sharp.shape[:2]
    size = min(GRID_WINDOW, h, w)
    gray = cv2.cvtColor(sharp, cv2.COLOR_RGB2GRAY)
    x, y = detail_box(gray, size // 2)
    x = int(np.clip(x + size // 4 - size // 2, 0, w - size))
    y = int(np.clip(y + size // 4 - size // 2, 0, h - size))
    crops = [img[y:y + size, x:x + size] for img in images]
    if size < GRID_WINDOW:
        crops = [
            cv2.resize(c, (GRID_WINDOW, GRID_WINDOW),
                       interpolation=cv2.INTER_NEAREST) for c in crops
        ]
    return crops


def evaluate_photos(model, photos, seed=0, max_side=384, **blur_kwargs):
    """Blur, deblur and score each photo.

    Returns:
        tuple[dict, list]: The report (per-image and mean PSNR) and the
        ``(blurred, deblurred, sharp)`` uint8 RGB triplets.
    """
    from deblurkit.apis import deblur_images
    from deblurkit.evaluation import calculate_psnr
    rows, triplets = [], []
    for index, path in enumerate(photos):
        with user_errors(f'photo {path}'):
            sharp = load_photo(path, max_side)
        if sharp is None:
            continue
        rng = np.random.default_rng([seed, index])
        blurred = heldout_blur(sharp, rng, **blur_kwargs)
        to8 = [
            np.round(np.clip(i, 0, 1) * 255).astype(np.uint8)
            for i in (blurred, sharp)
        ]
        pred = deblur_images(model, [to8[0][..., ::-1].copy()])[0][..., ::-1]
        psnr_in = calculate_psnr(to8[0], to8[1])
        psnr_out = calculate_psnr(pred, to8[1])
        rows.append(
            dict(image=osp.basename(path),
                 size=list(sharp.shape[:2]),
                 psnr_blurred=round(psnr_in, 3),
                 psnr_deblurred=round(psnr_out, 3),
                 gain=round(psnr_out - psnr_in, 3)))
        triplets.append((to8[0], np.ascontiguousarray(pred), to8[1]))
    report = dict(
        images=rows,
        mean_psnr_blurred=float(np.mean([r['psnr_blurred'] for r in rows])),
        mean_psnr_deblurred=float(np.mean([r['psnr_deblurred']
                                           for r in rows])),
        mean_gain=float(np.mean([r['gain'] for r in rows])),
        worst_gain=float(min(r['gain'] for r in rows)),
        seed=seed,
        max_side=max_side,
        blur=dict(blur_kwargs))
    return report, triplets


def write_outputs(out_dir, report, triplets, name='natural'):
    """``<name>_eval.json`` and ``<name>_grid.png`` under ``out_dir``."""
    import os
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import demo  # tools/demo.py: the grid layout of the demo's picture
    from deblurkit.engine import atomic_write
    os.makedirs(out_dir, exist_ok=True)
    atomic_write(osp.join(out_dir, f'{name}_eval.json'),
                 json.dumps(report, indent=2), 'w')
    windows = [grid_window(t) for t in triplets]
    psnrs = [(r['psnr_blurred'], r['psnr_deblurred'])
             for r in report['images']]
    demo.save_png(osp.join(out_dir, f'{name}_grid.png'),
                  demo.grid_image(windows, psnrs))


def format_report(report):
    lines = [f'{"photo":24s} {"blurred":>8s} {"deblurred":>9s} {"gain":>6s}']
    for r in report['images']:
        lines.append(f'{r["image"][:24]:24s} {r["psnr_blurred"]:8.2f} '
                     f'{r["psnr_deblurred"]:9.2f} {r["gain"]:+6.2f}')
    lines.append(
        f'{"mean":24s} {report["mean_psnr_blurred"]:8.2f} '
        f'{report["mean_psnr_deblurred"]:9.2f} '
        f'{report["mean_gain"]:+6.2f}  (worst {report["worst_gain"]:+.2f})')
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('config', type=config_file, help=CONFIG_HELP)
    parser.add_argument('checkpoint', help='the checkpoint to evaluate')
    parser.add_argument('--photos',
                        help='folder of sharp colour photos '
                        '(default: matplotlib\'s sample photographs)')
    parser.add_argument('--out',
                        help='write natural_eval.json and '
                        'natural_grid.png here')
    parser.add_argument('--seed',
                        type=int,
                        default=0,
                        help='seed of the held-out blur')
    parser.add_argument('--max-side',
                        type=int,
                        default=384,
                        help='photos are scaled down to this longer side')
    parser.add_argument('--min-length',
                        type=float,
                        default=4.0,
                        help='shortest camera path in pixels')
    parser.add_argument('--max-length',
                        type=float,
                        default=10.0,
                        help='longest camera path in pixels')
    return parser.parse_args(argv)


def run(config,
        checkpoint,
        photos_dir,
        out=None,
        seed=0,
        max_side=384,
        **blur_kwargs):
    """Evaluate; the report, printed and (with ``out``) written."""
    from deblurkit.apis import init_model
    if not osp.isdir(photos_dir):
        raise UserError(f'--photos {photos_dir!r} is not a folder; pass a '
                        'folder of sharp colour photographs.')
    photos = list_photos(photos_dir)
    if not photos:
        raise UserError(f'no JPEG or PNG photo in --photos {photos_dir!r}.')
    with user_errors(f'checkpoint {checkpoint}'):
        model = init_model(config, checkpoint)
    report, triplets = evaluate_photos(model, photos, seed, max_side,
                                       **blur_kwargs)
    if not triplets:
        raise UserError(f'no colour photo of at least 64x64 in --photos '
                        f'{photos_dir!r}.')
    report.update(config=str(config),
                  checkpoint=str(checkpoint),
                  photos=osp.abspath(photos_dir))
    if out:
        write_outputs(out, report, triplets)
    return report


@tool_main
def main(argv=None):
    args = parse_args(argv)
    photos = args.photos or default_photos()
    if photos is None:
        raise UserError('no --photos given and matplotlib\'s sample photos '
                        'are not installed; pass --photos DIR.')
    if args.min_length > args.max_length or args.min_length < 0:
        raise UserError('--min-length must be >= 0 and <= --max-length.')
    report = run(args.config,
                 args.checkpoint,
                 photos,
                 args.out,
                 args.seed,
                 args.max_side,
                 min_length=args.min_length,
                 max_length=args.max_length)
    print(format_report(report))
    return 0


if __name__ == '__main__':
    sys.exit(main())
