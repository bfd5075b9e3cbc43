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
generator runs, and the preprocessor's ``destruct`` crops each output back
to its image's size and maps it to [0, 1]. Any generator that keeps the
contract of :mod:`deblurkit.models.generators.contract` works.
"""
import math
import os
import os.path as osp
import warnings
from contextlib import nullcontext

import numpy as np
import torch

from deblurkit.fileio.image import (IMG_EXTENSIONS, img2tensor,
                                    read_image_file, tensor2img,
                                    write_image_file)
from deblurkit.models.generators.contract import (SizeAdapter,
                                                 check_generator_output,
                                                 pad_multiple_of)
from deblurkit.models.generators.fast import fast_generator_for
from deblurkit.models.generators.fast.generator import DTYPES
from deblurkit.models.generators.fast.onednn import native_bf16
from deblurkit.structures import DeblurDataSample
from deblurkit.visualization.annotate import (SIDE_BY_SIDE_LABELS,
                                              labelled_pair)
from deblurkit.video import (OPENCV_FALLBACK_WARNING, SCENE_CUT_THRESHOLD,
                             WEBCAM_PREFIX, VideoOptionError, open_sink,
                             check_temporal_mode, open_source,
                             pyav_available, resolve_codec, run_pipeline)

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')
# A tile's 1/32-scale feature map must have more than one pixel for
# per-image normalisation, and smaller tiles waste most of their area.
MIN_TILE = 64


def side_by_side(left, right, labels=SIDE_BY_SIDE_LABELS):
    """``left`` and ``right`` (same height, channels and dtype) joined
    horizontally, input | output, each labelled in its top-left corner
    (``labels=None``: no labels)."""
    return labelled_pair(left, right, labels)


# --------------------------------------------------------------- the network
def _run_generator(model, images, dtype=None):
    """Deblur a batch of images with the model's generator.

    The only place the generator is called, so a faster inference path can
    be swapped in here.

    A generator the fast path was written for runs through it
    (:func:`fast_generator_for`: same outputs, fused layers, channels-last)
    unless it is switched off (:mod:`deblurkit.runtime`,
    ``DEBLURKIT_FAST_INFERENCE=0``); any other generator runs as it is (:func:`_plain_call`). The first
    batch's output is checked against the generator contract
    (:func:`check_generator_output`).

    Args:
        model (DeblurGANv2): A model from :func:`init_model`.
        images (list[Tensor]): ``(3, H, W)`` RGB float tensors in [0, 1] on
            any device; sizes may differ (the preprocessor pads them all to
            the largest, rounded up to a multiple of its ``pad_size``, which
            the model aligns with the generator's ``pad_multiple``).
        dtype (torch.dtype, optional): float16 or bfloat16 from
            :func:`resolve_dtype` (the fast path in that dtype, the plain
            generator under autocast); None: float32.

    Returns:
        list[Tensor]: ``(3, H, W)`` RGB float32 in [0, 1] on the model's
        device, each cropped to its input's size (the preprocessor's
        ``destruct``).
    """
    batch = dict(
        inputs=list(images),
        data_samples=[DeblurDataSample() for _ in images])
    generator = fast_generator_for(model.generator, dtype)
    with torch.inference_mode():
        data = model.data_preprocessor(batch, False)
        if generator is model.generator:
            output = _plain_call(generator, data['inputs'], dtype)
        else:
            output = generator(data['inputs'])
        check_generator_output(model.generator, data['inputs'], output)
    return model.data_preprocessor.destruct(output.float(),
                                            data['data_samples'])


def _plain_call(generator, inputs, dtype=None):
    """``generator(inputs)`` for a generator without a fast path.

    Runs under the caller's ``torch.inference_mode``, under autocast to
    ``dtype`` (if not None), and with channels-last inputs when the generator declares
    ``channels_last = True`` (convolutional networks; see
    :mod:`deblurkit.models.generators.contract`). The input is padded to
    the generator's ``pad_multiple`` and the output cropped back, in case
    the preprocessor's padding is not a multiple of it.
    """
    if getattr(generator, 'channels_last', False) is True:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    autocast = torch.autocast(inputs.device.type, dtype) if dtype else \
        nullcontext()
    with autocast:
        return SizeAdapter(generator)(inputs)


def _model_device(model):
    param = next(model.parameters(), None)
    return torch.device('cpu') if param is None else param.device


DTYPE_NAMES = ('fp32', 'fp16', 'bf16')


def resolve_dtype(device, dtype=None, fp16=False):
    """The compute dtype of inference on ``device``, checked.

    Args:
        device (str | torch.device): Where the model runs.
        dtype (str | torch.dtype, optional): ``'fp32'`` (default),
            ``'fp16'`` (CUDA) or ``'bf16'`` (CUDA, or a CPU with native
            bfloat16: :func:`~deblurkit.models.generators.fast.onednn.native_bf16`),
            or the torch dtype.
        fp16 (bool): The older spelling of ``dtype='fp16'``.

    Returns:
        torch.dtype | None: float16 or bfloat16; None for float32.

    Raises:
        ValueError: An unknown dtype, float16 off CUDA, or bfloat16 on a
        CPU without native bfloat16 (oneDNN would emulate it, slower than
        float32).
    """
    if fp16:
        if DTYPES.get(dtype, dtype) not in (torch.float32, torch.float16):
            raise ValueError(f'fp16=True and dtype={dtype!r} disagree; give '
                             'only dtype')
        dtype = torch.float16
    if not (dtype in DTYPES or dtype in DTYPES.values()):
        raise ValueError(f'dtype must be one of {", ".join(DTYPE_NAMES)} (or '
                         f'a torch dtype of them), got {dtype!r}')
    dtype = DTYPES.get(dtype, dtype)
    device = torch.device(device)
    if dtype == torch.float16 and device.type != 'cuda':
        raise ValueError('fp16 needs the model on a CUDA device; on the CPU '
                         'run in fp32 (or bf16 where the CPU has it).')
    if dtype == torch.bfloat16 and device.type == 'cpu' and \
            not native_bf16():
        raise ValueError(
            'bf16 needs a CPU with native bfloat16 (AVX512-BF16 or AMX-BF16 '
            'on x86, BF16 on Arm) and this one has none (bf16 would be '
            'emulated, slower than fp32); run in fp32.')
    return None if dtype == torch.float32 else dtype


def _check_size(model, height, width):
    # Per-image statistics of a 1x1 map are undefined: torch refuses them.
    stride = pad_multiple_of(model.generator)  # 32: the total stride
    if max(height, width) <= stride and getattr(
            model.generator, 'norm_stats', None) == 'per_image':
        raise ValueError(
            f'a {height}x{width} image is too small: the generator needs at '
            f'least {stride + 1} pixels in height or width (its 1/{stride}-'
            'scale feature map must have more than one pixel); upscale or '
            'pad it.')


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


def _deblur_tiled(model, image, tile, overlap, batch_size, dtype):
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
                chunk, _run_generator(model, crops, dtype)):
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
                  fp16=False,
                  dtype=None):
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
        fp16 (bool): Same as ``dtype='fp16'``.
        dtype (str | torch.dtype, optional): Compute precision: ``'fp32'``
            (default), ``'fp16'`` (CUDA) or ``'bf16'`` (CUDA, or a CPU with
            native bfloat16; per-image statistics stay float32). Raises
            ValueError where the device cannot (:func:`resolve_dtype`).

    Returns:
        list[np.ndarray]: One array per input, of its size, channels and
        dtype.
    """
    if isinstance(batch_size, bool) or not isinstance(
            batch_size, int) or batch_size < 1:
        raise ValueError(f'batch_size must be an int >= 1, got {batch_size!r}')
    check_tile_options(tile, tile_overlap)
    dtype = resolve_dtype(_model_device(model), dtype, fp16)
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
                pred = _run_generator(model, [tensor.to(device)], dtype)[0]
            else:
                pred = _deblur_tiled(model, tensor.to(device), tile,
                                     tile_overlap, batch_size, dtype)
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
            for i, pred in zip(chunk, _run_generator(model, tensors, dtype)):
                results[i] = tensor2img(pred, arrays[i])
    return results


def deblur_image(model,
                 img,
                 tile=None,
                 tile_overlap=32,
                 fp16=False,
                 dtype=None):
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
        fp16 (bool), dtype (str | torch.dtype): Compute precision, as in
            :func:`deblur_images`.

    Returns:
        np.ndarray: The deblurred image, same shape and dtype as the input.
    """
    return deblur_images(
        model, [img], tile=tile, tile_overlap=tile_overlap, fp16=fp16,
        dtype=dtype)[0]


def count_video_frames(src):
    """The frame count a video's container reports, the number of frames
    of a folder (may be approximate; 0 if unknown or unreadable, and for
    a camera)."""
    if str(src).startswith(WEBCAM_PREFIX):
        return 0
    try:
        source = open_source(src, fps=1)
    except (OSError, ValueError):
        return 0
    try:
        return source.expected_frames or 0
    finally:
        source.close()


def deblur_video(model,
                 src,
                 dst,
                 batch_size=1,
                 tile=None,
                 tile_overlap=32,
                 fp16=False,
                 side_by_side_output=False,
                 progress=None,
                 codec=None,
                 crf=None,
                 fps=None,
                 temporal_smoothing=None,
                 scene_cut=SCENE_CUT_THRESHOLD,
                 frames_out=False,
                 frame_ext='.png',
                 backend='auto',
                 dtype=None,
                 preset=None,
                 temporal_mode='brightness'):
    """Deblur every frame of a video into a new video (or folder of frames).

    Decoding, deblurring and encoding overlap (:func:`run_pipeline`), with
    memory bounded whatever the length. With PyAV installed
    (``pip install 'deblurkit[video]'``) the output keeps the input's frame
    count, time stamps (variable frame rate included), rotation metadata
    and every audio stream (copied, not re-encoded), and is encoded as
    ``codec`` (default H.264 yuv420p, CRF 18, in .mp4/.mov/.mkv; VP9 in
    .webm; Motion JPEG in .avi). Without it OpenCV writes MPEG-4 Part 2 at
    the input's frame rate, without audio, with a warning.

    The output is written under a temporary name beside ``dst`` and renamed
    only when the file on disk holds every frame read: a full disk, an
    encoder error or Ctrl-C leaves any previous ``dst`` untouched.

    Args:
        model (DeblurGANv2): A model from :func:`init_model`.
        src (str): Input video, a folder of frames (natural name order, at
            ``fps``) or ``webcam:N``.
        dst (str): Output video (.mp4 .mov .mkv .webm .avi), or with
            ``frames_out`` a new folder of numbered frames.
        batch_size (int): Frames per forward pass.
        tile (int, optional), tile_overlap (int), fp16 (bool): As in
            :func:`deblur_images`; so is ``dtype`` (last argument).
        side_by_side_output (bool): Write input | output frames.
        progress (callable, optional): Called with the number of frames
            just written.
        codec (str, optional): ``h264``, ``h265``, ``vp9``, ``av1``,
            ``prores`` or ``mjpeg`` (:data:`deblurkit.video.CODECS`).
        crf (int, optional): The codec's quality (lower is better).
        fps (float, optional): Frame rate of a folder of frames.
        temporal_smoothing (float, optional): Smooth across frames, with
            this momentum (the new frame's weight, e.g. 0.1) and restarting
            at scene cuts, what ``temporal_mode`` names, so that brightness
            does not flicker.
        scene_cut (float): Histogram distance (0..2) that counts as a cut.
        frames_out (bool): Write a folder of frames instead of a video.
        frame_ext (str): Image format of those frames.
        backend (str): ``'auto'``, ``'pyav'`` or ``'opencv'`` for reading.
        dtype (str | torch.dtype, optional): Compute precision, as in
            :func:`deblur_images`.
        preset (str, optional): The H.264/H.265 encoder's speed preset
            (``ultrafast`` ... ``veryslow``, default ``veryfast``): slower
            presets make smaller files at the same ``crf`` and take more
            CPU from the model.
        temporal_mode (str): What ``temporal_smoothing`` smooths:
            ``'brightness'`` (default) the per-channel brightness the model
            adds to each frame, ``mean(output) - mean(input)``
            (:class:`~deblurkit.video.BrightnessStabilizer`; any model,
            tiles included); ``'stats'`` every norm layer's per-image mean
            and variance (not with ``tile``); ``'both'``.

    Returns:
        dict: ``frames``, ``fps`` and ``size`` (width, height) written, and
        the pipeline's counts (:func:`run_pipeline`): ``decoded``, ``lost``
        (frames of a damaged input that could not be decoded; also warned
        about), ``skipped_packets``, ``damage``, ``seconds``,
        ``model_seconds``, ``startup_seconds``, ``drain_seconds``.

    Raises:
        ValueError: A bad option or output name (before any work).
        OSError: ``src`` cannot be read or has no decodable frame, or
            ``dst`` cannot be written completely.
    """
    check_temporal_mode(temporal_mode)
    if (temporal_smoothing is not None and tile is not None
            and temporal_mode != 'brightness'):
        raise ValueError(f'temporal_mode={temporal_mode!r} and tile cannot '
                         'be combined: tiles have statistics of their own')
    if not frames_out:
        if pyav_available():
            resolve_codec(dst, codec, crf, preset)
        elif osp.splitext(dst)[1].lower() not in ('.mp4', '.mov', '.mkv',
                                                  '.avi'):
            raise VideoOptionError(f'{dst!r}: without PyAV only .mp4 .mov '
                                   '.mkv .avi videos can be written')
    dtype = resolve_dtype(_model_device(model), dtype, fp16)
    if osp.exists(dst) and osp.exists(src) and osp.samefile(src, dst):
        raise ValueError(f'{dst!r} is the input video; choose another output')
    source = open_source(src, fps=fps, backend=backend)
    try:
        if source.backend == 'opencv' and not source.live:
            warnings.warn(OPENCV_FALLBACK_WARNING)
        sink = open_sink(dst, source, codec, crf, frames_out, frame_ext,
                         preset=preset)
    except BaseException:
        source.close()
        raise
    size = []

    def deblur(frames):
        outputs = deblur_images(model, frames, batch_size, tile,
                                tile_overlap, dtype=dtype)
        if not size:
            size.append(frames[0].shape[1::-1])
        return outputs

    info = run_pipeline(deblur, source, sink, batch_size,
                        side_by_side_output, temporal_smoothing, scene_cut,
                        progress, temporal_mode=temporal_mode)
    width, height = size[0]
    if side_by_side_output:
        width, height = (width, 2 * height) if source.rotation % 180 else (
            2 * width, height)
    info.update(fps=source.fps, size=(width, height))
    return info


__all__ = [
    'IMG_EXTENSIONS', 'VIDEO_EXTENSIONS', 'deblur_image', 'deblur_images',
    'deblur_video', 'read_image_file', 'write_image_file', 'side_by_side',
    'tile_windows', 'count_video_frames', 'check_tile_options',
    'resolve_dtype'
]
