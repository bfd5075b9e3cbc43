"""Write a synthetic blur dataset in the GoPro layout.

Layout (what :class:`~deblurkit.datasets.GoProDataset` reads)::

    OUT/
        train/seq_000/blur/000000.png   train/seq_000/sharp/000000.png
              seq_000/blur/000001.png   ...
              seq_001/...
        test/seq_000/...
        synthesis.json      (the settings; written last, when all is done)

Interrupted runs: every file is written under a hidden temporary name in
its own folder (``.000003.png.<random>.tmp``, which matches no ``*.png``
glob) and renamed into place with :func:`os.replace`, which is atomic, so
no reader ever sees half a PNG (:func:`deblurkit.fileio.atomic_write`,
which checkpoints use too). The sharp image of a pair is written before the
blurred one, so a blurred image on disk always has its sharp twin; a pair is
complete when both exist (:func:`list_complete_pairs`).

Nothing of the user's is deleted: every file is listed in
``OUT/.deblurkit-outputs`` before it is written, and a rerun with
``overwrite=True`` deletes only the listed files (and temporaries beside
them), then the folders this empties; any other file in ``train/`` or
``test/`` makes it stop with an error. ``OUT`` may not be, contain or lie
inside ``sharp_dir``.

Determinism: pair ``i`` of a split is made from its own generator seeded
by ``(seed, split, i)``, so the bytes written depend only on the arguments,
not on the number of worker processes or their scheduling.
"""
import json
import multiprocessing
import os
import os.path as osp
import signal
import warnings

import numpy as np
from tqdm import tqdm

from deblurkit.fileio import (MANIFEST_NAME, OutputFolder, OutputPathError,
                              atomic_write, check_output_path, encode_image)
from .errors import SynthesisError
from .pair import BlurSettings, synthesize_pair
from .sources import DeadLeavesSource, ImageFolderSource

__all__ = [
    'SPLITS', 'MANIFEST', 'write_blur_dataset', 'list_complete_pairs',
    'encode_png'
]

SPLITS = ('train', 'test')
MANIFEST = 'synthesis.json'
# Share of the user's photos held out for the test split.
_TEST_FILE_SHARE = 0.1


def encode_png(image):
    """8-bit PNG bytes of an ``H x W x 3`` RGB image (uint8, or float in
    [0, 1])."""
    pixels = image if image.dtype == np.uint8 else np.round(
        np.clip(image, 0, 1) * 255).astype(np.uint8)
    return encode_image('.png', np.ascontiguousarray(pixels[..., ::-1]))


def list_complete_pairs(split_root):
    """The complete pairs under one split folder.

    Args:
        split_root (str): E.g. ``'OUT/train'``.

    Returns:
        list[tuple[str, str]]: ``(blur_path, sharp_path)``, sorted, for
        every ``<sequence>/blur/NAME.png`` whose ``<sequence>/sharp/NAME.png``
        exists. Temporary files of an interrupted write are not listed.
    """
    pairs = []
    if not osp.isdir(split_root):
        return pairs
    for sequence in sorted(os.listdir(split_root)):
        blur_dir = osp.join(split_root, sequence, 'blur')
        sharp_dir = osp.join(split_root, sequence, 'sharp')
        if not osp.isdir(blur_dir):
            continue
        for name in sorted(os.listdir(blur_dir)):
            if name.startswith('.') or not name.endswith('.png'):
                continue
            sharp = osp.join(sharp_dir, name)
            if osp.isfile(sharp):
                pairs.append((osp.join(blur_dir, name), sharp))
    return pairs


def pair_paths(out_dir, split, index, per_sequence):
    """``(sharp_path, blur_path)`` of pair ``index`` of ``split``."""
    sequence = f'seq_{index // per_sequence:03d}'
    name = f'{index % per_sequence:06d}.png'
    folder = osp.join(out_dir, split, sequence)
    return osp.join(folder, 'sharp', name), osp.join(folder, 'blur', name)


def pair_rng(seed, split, index):
    """The generator of pair ``index`` of ``split``: independent streams."""
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(SPLITS.index(split), index)))


# Set in each worker process by _init_worker (and in the parent when run
# serially): the sources and settings, sent once instead of with each task.
_JOB = {}


def _set_job(job):
    _JOB.clear()
    _JOB.update(job)


def _init_worker(job):
    # Ctrl-C is the parent's to handle (it stops the pool); workers that
    # raised KeyboardInterrupt too would each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_job(job)


def _write_pair(task):
    split, index = task
    rng = pair_rng(_JOB['seed'], split, index)
    sharp = _JOB['sources'][split](rng)
    # Quantise first so the blurred image is made from exactly the pixels
    # stored as its sharp twin.
    sharp = np.round(np.clip(sharp, 0, 1) * 255).astype(np.uint8)
    blurred, toned = synthesize_pair(sharp, rng, _JOB['settings'])
    if _JOB['settings'].changes_sharp:  # tone curve or lens: new target
        sharp = np.round(np.clip(toned, 0, 1) * 255).astype(np.uint8)
    sharp_path, blur_path = pair_paths(_JOB['out_dir'], split, index,
                                       _JOB['per_sequence'])
    # Sharp first: a blurred image on disk always has its twin.
    for path, image in ((sharp_path, sharp), (blur_path, blurred)):
        _JOB['folder'].record(path)
        atomic_write(path, encode_png(image))
    return task


def _prepare_output(out_dir, overwrite):
    """Check ``out_dir`` is empty, or remove what a previous run wrote.

    Returns:
        OutputFolder: The folder, whose manifest lists every file written.
    """
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise SynthesisError(f'output path {out_dir!r} (--out) is a file; '
                             'pass a folder.')
    entries = sorted(os.listdir(out_dir)) if osp.isdir(out_dir) else []
    if entries and not overwrite:
        raise SynthesisError(
            f'output folder {out_dir!r} (--out) is not empty (it holds '
            f'{", ".join(entries[:5])}{" ..." if len(entries) > 5 else ""}).'
            ' Pass --overwrite (overwrite=True) to replace the dataset in '
            'it, or choose an empty or new folder.')
    folder = OutputFolder(out_dir)
    folder.remove_owned()
    foreign = [
        osp.join(root, name) for split in SPLITS
        for root, _, names in os.walk(osp.join(out_dir, split))
        for name in names
    ]
    if foreign:
        raise SynthesisError(
            f'--overwrite removes only the files synthesis wrote (listed in '
            f'{folder.manifest}), but {len(foreign)} other file(s) are in '
            f'its train/ or test/ folders: {", ".join(foreign[:3])}. Move '
            'them away or choose another --out; nothing was deleted of them.')
    others = [e for e in entries if e not in SPLITS + (MANIFEST, )
              and e != MANIFEST_NAME]
    if others:
        warnings.warn(f'--overwrite left {len(others)} entries of '
                      f'{out_dir!r} that synthesis does not write: '
                      f'{", ".join(others[:5])}')
    for split in SPLITS:
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
    return folder


def _default_workers():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def write_blur_dataset(out_dir,
                       num_train,
                       num_test,
                       size=(192, 192),
                       seed=0,
                       sharp_dir=None,
                       settings=None,
                       per_sequence=12,
                       overwrite=False,
                       workers=None,
                       progress=True,
                       dead_leaves=None):
    """Synthesise a blur dataset in the GoPro layout (see module docs).

    Args:
        out_dir (str): Output folder; must be empty or missing unless
            ``overwrite``.
        num_train (int): Pairs in ``train/``.
        num_test (int): Pairs in ``test/``.
        size (tuple[int, int]): ``(H, W)`` of every image. Defaults to
            ``(192, 192)``.
        seed (int): Seed of everything random. Defaults to 0.
        sharp_dir (str | None): A folder of the user's sharp photos to crop
            from (about 10% of the files are held out for ``test/`` when
            there are two or more); None for procedural dead-leaves images.
        settings (BlurSettings | None): Blur, noise and JPEG settings; None
            for the defaults.
        per_sequence (int): Pairs per sequence folder. Defaults to 12.
        overwrite (bool): Replace the dataset a previous run wrote in
            ``out_dir`` (only the files it listed in its manifest are
            deleted). Defaults to False.
        workers (int | None): Processes; None for one per available CPU
            (at most one per 8 pairs). The output does not depend on it.
        progress (bool): Show a tqdm progress bar. Defaults to True.
        dead_leaves (dict | None): Arguments of
            :func:`~deblurkit.synthesis.dead_leaves_image` for the
            procedural images (``power``, ``surface_prob``, ...); None for
            its defaults. Ignored with ``sharp_dir``.

    Returns:
        dict: The manifest written to ``out_dir/synthesis.json``.

    Raises:
        SynthesisError: Bad arguments, an unusable ``sharp_dir`` or a
            non-empty ``out_dir`` without ``overwrite``.
    """
    settings = settings or BlurSettings()
    out_dir = osp.expanduser(str(out_dir))
    if sharp_dir is not None:
        sharp_dir = osp.expanduser(str(sharp_dir))
    height, width = (int(v) for v in size)
    if height < 8 or width < 8:
        raise SynthesisError(f'size (--size H W) must be at least 8 x 8, '
                             f'got {height} x {width}.')
    for name, value, low in (('num_train', num_train, 0),
                             ('num_test', num_test, 0),
                             ('per_sequence', per_sequence, 1)):
        if value < low:
            flag = '--' + name.replace('_', '-')
            raise SynthesisError(
                f'{name} ({flag}) must be >= {low}, got {value}.')
    if num_train + num_test == 0:
        raise SynthesisError('num_train and num_test (--num-train, '
                             '--num-test) are both 0: nothing to write.')
    counts = dict(train=int(num_train), test=int(num_test))
    try:
        check_output_path(out_dir, [(sharp_dir, '--sharp-dir')], '--out')
    except OutputPathError as err:
        raise SynthesisError(str(err)) from None

    # Vet the sources before touching the output folder.
    if sharp_dir is None:
        source = DeadLeavesSource((height, width), **(dead_leaves or {}))
        sources = dict(train=source, test=source)
    else:
        folder = ImageFolderSource(sharp_dir, (height, width))
        if counts['train'] and counts['test']:
            train, test = folder.split(_TEST_FILE_SHARE,
                                       np.random.default_rng(seed))
        else:
            train = test = folder
        sources = dict(train=train, test=test)
    folder = _prepare_output(out_dir, overwrite)

    job = dict(
        out_dir=out_dir,
        folder=folder,
        seed=int(seed),
        sources=sources,
        settings=settings,
        per_sequence=int(per_sequence))
    tasks = [(split, i) for split in SPLITS for i in range(counts[split])]
    workers = _default_workers() if workers is None else int(workers)
    workers = max(1, min(workers, len(tasks) // 8 or 1))
    with tqdm(total=len(tasks), desc='synthesising pairs', unit='pair',
              disable=not progress) as bar:
        if workers == 1:
            _set_job(job)
            for task in tasks:
                _write_pair(task)
                bar.update(1)
            _set_job({})
        else:
            with multiprocessing.get_context().Pool(
                    workers, _init_worker, (job, )) as pool:
                for _ in pool.imap_unordered(_write_pair, tasks, 4):
                    bar.update(1)

    manifest = dict(
        size=[height, width],
        seed=int(seed),
        num_train=counts['train'],
        num_test=counts['test'],
        per_sequence=int(per_sequence),
        sharp_dir=None if sharp_dir is None else osp.abspath(sharp_dir),
        dead_leaves=None if sharp_dir is not None else dict(dead_leaves or {}),
        settings=settings.to_dict(),
        layout='<split>/<sequence>/{blur,sharp}/NNNNNN.png')
    folder.record(osp.join(out_dir, MANIFEST))
    atomic_write(
        osp.join(out_dir, MANIFEST),
        json.dumps(manifest, indent=2).encode())
    return manifest
