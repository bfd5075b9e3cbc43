"""Deblur images and videos with a model from :func:`init_model`.

One implementation serves the Python API and ``tools/deblur.py``:

- :func:`read_image_file` / :func:`write_image_file` (from
  :mod:`deblurkit.fileio.image`) turn files into the arrays OpenCV works
  with (BGR order, uint8 or uint16, 1, 3 or 4 channels) and back;
- :func:`deblur_image` / :func:`deblur_images` deblur such arrays, whole or
  in overlapping tiles, and return arrays of the same size, channels and
  dtype;
- :func:`deblur_video` deblurs a video file frame by frame.

Every call of the network goes through :func:`_run_generator`: the model's
``data_preprocessor`` maps [0, 1] to [-1, 1] and pads to a multiple of its
``pad_size`` (32, or a multiple of the generator's ``pad_multiple``), the
generator runs, and each output is cropped back to its image's size. Any
generator that keeps the contract of
:mod:`deblurkit.models.generators.contract` works.
"""
import math
import os
import os.path as osp
import warnings
from contextlib import nullcontext

import cv2
import numpy as np
import torch

from deblurkit.fileio.atomic import atomic_output
from deblurkit.fileio.image import (IMG_EXTENSIONS, img2tensor,
                                    read_image_file, tensor2img,
                                    write_image_file)
from deblurkit.models.generators.contract import (SizeAdapter,
                                                 check_generator_output)
from deblurkit.models.generators.fast import fast_generator_for
from deblurkit.structures import DeblurDataSample

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv')
# OpenCV's FFmpeg backend writes MPEG-4 Part 2 into mp4/mov/mkv, and Motion
# JPEG (built into OpenCV, so always available) into avi.
VIDEO_FOURCC = {'.mp4': 'mp4v', '.mov': 'mp4v', '.mkv': 'mp4v', '.avi': 'MJPG'}
# Frame rate written when a video does not report one.
DEFAULT_FPS = 25.0
# A tile's 1/32-scale feature map must have more than one pixel for
# per-image normalisation, and smaller tiles waste most of their area.
MIN_TILE = 64


def side_by_side(left, right):
    """``left`` and ``right`` (same height, channels and dtype) joined
    horizontally, input | output."""
    return np.concatenate([left, right], axis=1)


# --------------------------------------------------------------- the network
def _run_generator(model, images, fp16=False):
    """Deblur a batch of images with the model's generator.

    The only place the generator is called, so a faster inference path can
    be swapped in here.

    A generator the fast path was written for runs through it
    (:func:`fast_generator_for`: same outputs, fused layers, channels-last)
    unless the environment variable ``DEBLURKIT_FAST_INFERENCE`` is ``0``;
    any other generator runs as it is (:func:`_plain_call`). The first
    batch's output is checked against the generator contract
    (:func:`check_generator_output`).

    Args:
        model (DeblurGANv2): A model from :func:`init_model`.
        images (list[Tensor]): ``(3, H, W)`` RGB float tensors in [0, 1] on
            any device; sizes may differ (the preprocessor pads them all to
            the largest, rounded up to a multiple of its ``pad_size``, which
            the model aligns with the generator's ``pad_multiple``).
        fp16 (bool): Run in half precision on CUDA (the fast path in
            float16, the plain generator under autocast).

    Returns:
        list[Tensor]: ``(3, H, W)`` RGB float32 in [0, 1] on the model's
        device, each cropped to its input's size.
    """
    batch = dict(
        inputs=list(images),
        data_samples=[DeblurDataSample() for _ in images])
    generator = fast_generator_for(model.generator,
                                   torch.float16 if fp16 else None)
    with torch.inference_mode():
        data = model.data_preprocessor(batch, False)
        if generator is model.generator:
            output = _plain_call(generator, data['inputs'], fp16)
        else:
            output = generator(data['inputs'])
        check_generator_output(model.generator, data['inputs'], output)
    results = []
    for pred, sample in zip(output, data['data_samples']):
        h, w = sample.img_shape
        results.append(((pred[:, :h, :w].float() + 1) / 2).clamp_(0, 1))
    return results


def _plain_call(generator, inputs, fp16=False):
    """``generator(inputs)`` for a generator without a fast path.

    Runs under the caller's ``torch.inference_mode``, under CUDA autocast
    with ``fp16``, and with channels-last inputs when the generator declares
    ``channels_last = True`` (convolutional networks; see
    :mod:`deblurkit.models.generators.contract`). The input is padded to
    the generator's ``pad_multiple`` and the output cropped back, in case
    the preprocessor's padding is not a multiple of it.
    """
    if getattr(generator, 'channels_last', False) is True:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    autocast = torch.autocast('cuda', torch.float16) if fp16 else \
        nullcontext()
    with autocast:
        return SizeAdapter(generator)(inputs)


def _model_device(model):
    param = next(model.parameters(), None)
    return torch.device('cpu') if param is None else param.device


def _check_fp16(model, fp16):
    if fp16 and _model_device(model).type != 'cuda':
        raise ValueError('fp16=True needs the model on a CUDA device; on the '
                         'CPU run in float32 (leave fp16 off).')


def _check_size(model, height, width):
    # Per-image statistics of a 1x1 map are undefined: torch refuses them.
    if max(height, width) <= 32 and getattr(
            model.generator, 'norm_stats', None) == 'per_image':
        raise ValueError(
            f'a {height}x{width} image is too small: the generator needs at '
            'least 33 pixels in height or width (its 1/32-scale feature map '
            'must have more than one pixel); upscale or pad it.')


def _check_array(img):
    """``img`` itself if it is an image array :func:`img2tensor` takes."""
    if not isinstance(img, np.ndarray):
        raise TypeError('expected an image path or a numpy array, got '
                        f'{type(img).__name__}')
    if img.ndim not in (2, 3) or (img.ndim == 3
                                  and img.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f'expected an H x W or H x W x C (C = 1, 3 or 4) image, got '
            f'shape {img.shape}')
    return img


# ------------------------------------------------------------------- tiling
def tile_windows(length, tile, overlap):
    """Tile positions along one axis and their blending weights.

    Tiles of ``min(tile, length)`` pixels are spread evenly so the first
    starts at 0, the last ends at ``length`` and neighbours overlap by at
    least ``overlap``. Across the overlap of two neighbours one weight falls
    as ``cos^2`` while the other rises as ``sin^2``, so the blend has no
    step; the weights are then normalised so that at every pixel they sum to
    1 (the 2D weight of a tile is the outer product of its two 1D weights,
    which therefore also sums to 1).

    Args:
        length (int): Image height or width.
        tile (int): Tile size in pixels.
        overlap (int): Minimum overlap of neighbouring tiles.

    Returns:
        list[tuple[int, np.ndarray]]: ``(start, weights)`` per tile, with
        float64 ``weights`` of the tile's length.
    """
    size = min(tile, length)
    if size == length:
        return [(0, np.ones(length))]
    count = math.ceil((length - overlap) / (size - overlap))
    starts = [round(i * (length - size) / (count - 1)) for i in range(count)]
    weights = []
    for i, start in enumerate(starts):
        weight = np.ones(size)
        if i > 0:
            ramp = starts[i - 1] + size - start
            weight[:ramp] *= np.sin(
                np.pi / 2 * (np.arange(ramp) + 0.5) / ramp)**2
        if i < count - 1:
            ramp = start + size - starts[i + 1]
            weight[size - ramp:] *= np.cos(
                np.pi / 2 * (np.arange(ramp) + 0.5) / ramp)**2
        weights.append(weight)
    total = np.zeros(length)
    for start, weight in zip(starts, weights):
        total[start:start + size] += weight
    return [(start, weight / total[start:start + size])
            for start, weight in zip(starts, weights)]


def _deblur_tiled(model, image, tile, overlap, batch_size, fp16):
    """Deblur a ``(3, H, W)`` tensor in blended tiles (see
    :func:`tile_windows`); the tiles of one image are batched."""
    _, height, width = image.shape
    rows = tile_windows(height, tile, overlap)
    cols = tile_windows(width, tile, overlap)
    boxes = [(y, wy, x, wx) for y, wy in rows for x, wx in cols]
    # The sum of weighted tiles, on the CPU: its size grows with the image,
    # the network's memory only with the tile.
    output = torch.zeros_like(image, dtype=torch.float32, device='cpu')
    for first in range(0, len(boxes), batch_size):
        chunk = boxes[first:first + batch_size]
        crops = [
            image[:, y:y + len(wy), x:x + len(wx)] for y, wy, x, wx in chunk
        ]
        for (y, wy, x, wx), pred in zip(
                chunk, _run_generator(model, crops, fp16)):
            weight = torch.from_numpy(np.outer(wy, wx).astype(np.float32))
            output[:, y:y + len(wy), x:x + len(wx)] += pred.cpu() * weight
    return output


def check_tile_options(tile, overlap):
    """Raise ValueError unless ``tile`` is None or an int >= 64 and
    ``overlap`` an int in ``[0, tile)``."""
    if tile is None:
        return
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < MIN_TILE:
        raise ValueError(f'tile must be an int >= {MIN_TILE} pixels, got '
                         f'{tile!r}')
    if not isinstance(overlap, int) or not 0 <= overlap < tile:
        raise ValueError(f'tile_overlap must be an int in [0, tile={tile}), '
                         f'got {overlap!r}')


# ---------------------------------------------------------------- public API
def deblur_images(model,
                  imgs,
                  batch_size=1,
                  tile=None,
                  tile_overlap=32,
                  fp16=False):
    """Deblur several images.

    Images of the same size run together, ``batch_size`` at a time; images
    of different sizes never share a batch, because padding one to the
    other's size would change its per-image statistics. So the result of
    each image does not depend on the others, nor on ``batch_size``.

    Args:
        model (DeblurGANv2): A model from :func:`init_model`.
        imgs (list[str | np.ndarray]): Paths, or arrays as OpenCV reads them
            (see :func:`deblur_image`).
        batch_size (int): Images (or, with ``tile``, tiles of one image)
            per forward pass.
        tile (int, optional): Deblur in overlapping ``tile x tile`` tiles
            (at least 64) to bound memory on large images.
        tile_overlap (int): Minimum overlap of neighbouring tiles, blended
            with cosine ramps.
        fp16 (bool): Half precision (CUDA autocast); needs a CUDA model.

    Returns:
        list[np.ndarray]: One array per input, of its size, channels and
        dtype.
    """
    if isinstance(batch_size, bool) or not isinstance(
            batch_size, int) or batch_size < 1:
        raise ValueError(f'batch_size must be an int >= 1, got {batch_size!r}')
    check_tile_options(tile, tile_overlap)
    _check_fp16(model, fp16)
    arrays = [
        read_image_file(img) if isinstance(img, (str, os.PathLike)) else
        _check_array(img) for img in imgs
    ]
    device = _model_device(model)
    results = [None] * len(arrays)
    if tile is not None:
        for i, img in enumerate(arrays):
            tensor = img2tensor(img)
            _check_size(model, *tensor.shape[-2:])
            if tile >= max(tensor.shape[-2:]):
                pred = _run_generator(model, [tensor.to(device)], fp16)[0]
            else:
                pred = _deblur_tiled(model, tensor.to(device), tile,
                                     tile_overlap, batch_size, fp16)
            results[i] = tensor2img(pred, img)
        return results
    groups = {}
    for i, img in enumerate(arrays):
        groups.setdefault(img.shape[:2], []).append(i)
    for (height, width), indices in groups.items():
        _check_size(model, height, width)
        for first in range(0, len(indices), batch_size):
            chunk = indices[first:first + batch_size]
            tensors = [img2tensor(arrays[i]).to(device) for i in chunk]
            for i, pred in zip(chunk, _run_generator(model, tensors, fp16)):
                results[i] = tensor2img(pred, arrays[i])
    return results


def deblur_image(model, img, tile=None, tile_overlap=32, fp16=False):
    """Deblur one image.

    The network sees RGB in [0, 1] (uint8 / 255, uint16 / 65535); the result
    is converted back to the input's layout: BGR order, same dtype (rounded
    and clipped), grayscale deblurred as gray RGB and returned as the mean
    of the three output channels, alpha copied through bit for bit.

    Args:
        model (DeblurGANv2): A model from :func:`init_model`.
        img (str | np.ndarray): A path (read by :func:`read_image_file`), or
            an ``H x W``, ``H x W x 1``, ``H x W x 3`` (BGR) or
            ``H x W x 4`` (BGRA) array, uint8, uint16, or float in [0, 1].
        tile (int, optional): Deblur in overlapping tiles of this size.
        tile_overlap (int): Minimum overlap of neighbouring tiles.
        fp16 (bool): Half precision (CUDA autocast); needs a CUDA model.

    Returns:
        np.ndarray: The deblurred image, same shape and dtype as the input.
    """
    return deblur_images(
        model, [img], tile=tile, tile_overlap=tile_overlap, fp16=fp16)[0]


def _video_fourcc(path):
    ext = osp.splitext(path)[1].lower()
    if ext not in VIDEO_FOURCC:
        raise ValueError(f'{path!r}: cannot write {ext!r} videos; use one of '
                         f'{sorted(VIDEO_FOURCC)}')
    return VIDEO_FOURCC[ext]


def _open_video_writer(path, fps, size):
    fourcc = _video_fourcc(path)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps,
                             size)
    if not writer.isOpened():
        raise OSError(f'OpenCV cannot write {path!r} with codec {fourcc!r}; '
                      'try an .avi output')
    return writer


def count_video_frames(src):
    """The frame count a video's container reports (may be approximate;
    0 if unknown or unreadable)."""
    cap = cv2.VideoCapture(src)
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
    cap.release()
    return max(count, 0)


def deblur_video(model,
                 src,
                 dst,
                 batch_size=1,
                 tile=None,
                 tile_overlap=32,
                 fp16=False,
                 side_by_side_output=False,
                 progress=None):
    """Deblur every frame of a video into a new video.

    The output has every decoded frame, the input's frame size (twice its
    width with ``side_by_side_output``) and its frame rate; the codec
    follows ``dst``'s extension (:data:`VIDEO_FOURCC`). Audio is not copied:
    OpenCV reads and writes pictures only. The video is written under a
    temporary name beside ``dst`` and renamed when complete.

    Args:
        model (DeblurGANv2): A model from :func:`init_model`.
        src (str): Input video.
        dst (str): Output video (.mp4, .mov, .mkv or .avi).
        batch_size (int): Frames per forward pass.
        tile (int, optional), tile_overlap (int), fp16 (bool): As in
            :func:`deblur_images`.
        side_by_side_output (bool): Write input | output frames.
        progress (callable, optional): Called with the number of frames
            just written.

    Returns:
        dict: ``frames``, ``fps`` and ``size`` (width, height) written.

    Raises:
        OSError: ``src`` cannot be opened or has no decodable frame, or
            ``dst`` cannot be written.
    """
    _video_fourcc(dst)
    if osp.exists(dst) and osp.exists(src) and osp.samefile(src, dst):
        raise ValueError(f'{dst!r} is the input video; choose another output')
    cap = cv2.VideoCapture(src)
    if not cap.isOpened():
        raise OSError(f'OpenCV cannot open video {src!r}: missing, corrupt '
                      'or an unsupported codec')
    fps = cap.get(cv2.CAP_PROP_FPS)
    if not fps or not math.isfinite(fps) or fps <= 0:
        warnings.warn(f'{src!r} reports no frame rate; writing '
                      f'{DEFAULT_FPS} fps')
        fps = DEFAULT_FPS
    # The container is chosen from the extension, so the temporary keeps it;
    # atomic_output renames it into place with the umask's permissions.
    writer, frames, size = None, 0, None
    try:
        with atomic_output(dst) as tmp:
            while True:
                chunk = []
                while len(chunk) < batch_size:
                    ok, frame = cap.read()
                    if not ok:
                        break
                    chunk.append(frame)
                if not chunk:
                    break
                outputs = deblur_images(model, chunk, batch_size, tile,
                                        tile_overlap, fp16)
                for frame, out in zip(chunk, outputs):
                    if side_by_side_output:
                        out = side_by_side(frame, out)
                    if writer is None:
                        size = (out.shape[1], out.shape[0])
                        writer = _open_video_writer(tmp, fps, size)
                    writer.write(out)
                frames += len(chunk)
                if progress is not None:
                    progress(len(chunk))
            if writer is None:
                raise OSError(f'no frame of video {src!r} could be decoded: '
                              'corrupt or an unsupported codec')
            writer.release()
            writer = None
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    return dict(frames=frames, fps=fps, size=size)


__all__ = [
    'IMG_EXTENSIONS', 'VIDEO_EXTENSIONS', 'deblur_image', 'deblur_images',
    'deblur_video', 'read_image_file', 'write_image_file', 'side_by_side',
    'tile_windows', 'count_video_frames', 'check_tile_options'
]
