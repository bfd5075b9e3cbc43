"""The streaming video pipeline: decode, deblur and encode overlap.

Three stages run at once, joined by bounded queues, so memory stays the
same whatever the video's length:

- a reader thread decodes frames (and hands audio packets to the sink);
- the calling thread deblurs them ``batch_size`` at a time (it is the one
  that receives Ctrl-C);
- a writer thread encodes and muxes.

FFmpeg and PyTorch release the GIL while they work, so the threads overlap.
The reader and the writer run at a lower scheduling priority than the
model (``codec_nice``, Linux): on a machine whose cores PyTorch's threads
fill, a codec thread that preempts one of them stalls all of them at their
next barrier, so decoding and encoding are better done in the gaps the
model leaves.
Any failure, or Ctrl-C, stops all three, removes the temporary output and
re-raises; only a complete, checked output is renamed to its final name
(:meth:`~deblurkit.video.writer.VideoSink.commit`). A live source (a
camera) has no end: Ctrl-C ends its capture, and what was captured is
written.
"""
import os
import queue
import sys
import threading
import time
import warnings

import cv2
import numpy as np

from deblurkit.models.layers.temporal_norm import (TemporalNormStats,
                                                   temporal_norm_stats)
from deblurkit.visualization.annotate import (SIDE_BY_SIDE_LABELS,
                                              labelled_pair)

from .deflicker import BrightnessStabilizer
from .reader import VideoInputError
from .writer import VideoOutputError

_END = object()
# Seconds between checks of the stop flag while a queue is full or empty.
_POLL = 0.1
# Default histogram distance (0..2) from which a frame starts a new scene.
SCENE_CUT_THRESHOLD = 0.6
# How much nicer (lower priority) than the calling thread the reader and
# writer threads run; 0 leaves them alike.
CODEC_NICE = 10

# What ``run_pipeline(temporal=...)`` smooths across frames.
TEMPORAL_MODES = ('brightness', 'stats', 'both')


def lower_thread_priority(increment):
    """Make the calling thread ``increment`` nicer (Linux only, where
    niceness is per thread and threads it starts inherit it; elsewhere, or
    when the system refuses, nothing changes). Returns the new niceness or
    None."""
    if increment <= 0 or not sys.platform.startswith('linux'):
        return None
    try:
        tid = threading.get_native_id()
        nice = min(19, os.getpriority(os.PRIO_PROCESS, tid) + increment)
        os.setpriority(os.PRIO_PROCESS, tid, nice)
        return nice
    except (AttributeError, OSError):
        return None


class _Failure:
    def __init__(self, error):
        self.error = error


class SceneCuts:
    """Finds the frames that start a new scene.

    A frame starts one when the L1 distance between the normalised 32-bin
    gray-level histograms of a 64x36 thumbnail of it and of the previous
    frame exceeds ``threshold`` (0 = identical, 2 = disjoint). Camera
    motion keeps the histogram; a cut to another shot does not.
    """

    def __init__(self, threshold=SCENE_CUT_THRESHOLD):
        self.threshold = threshold
        self.previous = None

    def __call__(self, frame):
        small = cv2.resize(frame, (64, 36), interpolation=cv2.INTER_AREA)
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        hist = np.bincount((gray >> 3).ravel(), minlength=32) / gray.size
        cut = self.previous is None or np.abs(
            hist - self.previous).sum() > self.threshold
        self.previous = hist
        return bool(cut)


def _put(q, item, stop):
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL)
            return True
        except queue.Full:
            continue
    return False


def _get(q, stop):
    while True:
        try:
            return q.get(timeout=_POLL)
        except queue.Empty:
            if stop.is_set():
                return _END


def _read(source, frames, stop, nice=0):
    try:
        lower_thread_priority(nice)
        for item in source.frames():
            if not _put(frames, item, stop):
                return
        _put(frames, _END, stop)
    except BaseException as err:  # noqa: BLE001  re-raised by the caller
        _put(frames, _Failure(err), stop)


def _write(sink, batches, stop, progress, errors, nice=0):
    try:
        lower_thread_priority(nice)
        while not stop.is_set():
            item = _get(batches, stop)
            if item is _END:
                if not stop.is_set():
                    sink.finish()
                return
            for frame, pts in item:
                sink.write(frame, pts)
            if progress is not None:
                progress(len(item))
    except BaseException as err:  # noqa: BLE001  re-raised by the caller
        errors.append(err)
        stop.set()


def _next_batch(frames, stop, batch_size):
    """``(ended, items)``: up to ``batch_size`` frames from the reader."""
    batch = []
    while len(batch) < batch_size:
        item = _get(frames, stop)
        if item is _END:
            return True, batch
        if isinstance(item, _Failure):
            raise item.error
        batch.append(item)
    return False, batch


def join_side_by_side(left, right, rotation=0,
                      labels=SIDE_BY_SIDE_LABELS):
    """``left | right`` as the viewer sees them: stacked vertically in the
    stored frame when the display rotates it by 90 or 270 degrees
    (counter-clockwise), each half labelled upright in its top-left
    corner (``labels=None``: no labels)."""
    return labelled_pair(left, right, labels, axis=0 if rotation % 180 else 1,
                         turns=(rotation // 90) % 4)


def check_temporal_mode(mode):
    """Raise ValueError unless ``mode`` is one of :data:`TEMPORAL_MODES`."""
    if mode not in TEMPORAL_MODES:
        raise ValueError(f'temporal mode must be one of '
                         f'{", ".join(TEMPORAL_MODES)}, got {mode!r}')


def run_pipeline(deblur, source, sink, batch_size=1, side_by_side=False,
                 temporal=None, scene_cut=SCENE_CUT_THRESHOLD,
                 progress=None, codec_nice=None,
                 temporal_mode='brightness'):
    """Deblur every frame of ``source`` into ``sink`` and commit it.

    Args:
        deblur (callable): ``deblur(frames) -> outputs``, lists of BGR
            uint8 arrays (one batch).
        source (VideoSource): From :func:`~deblurkit.video.open_source`.
        sink (VideoSink): From :func:`~deblurkit.video.open_sink`.
        batch_size (int): Frames per ``deblur`` call.
        side_by_side (bool): Write input | output.
        temporal (float, optional): Temporal smoothing with this momentum
            (weight of the new frame), restarting at scene cuts; what is
            smoothed is ``temporal_mode``'s.
        scene_cut (float): Threshold of :class:`SceneCuts`.
        progress (callable, optional): Called with each number of frames
            written.
        codec_nice (int, optional): How much lower the reader's and the
            writer's scheduling priority is than the caller's (Linux; 0:
            the same; default :data:`CODEC_NICE`).
        temporal_mode (str): With ``temporal``: ``'brightness'`` smooths
            the brightness the model adds to each frame
            (:class:`~deblurkit.video.deflicker.BrightnessStabilizer`),
            ``'stats'`` each norm layer's per-image statistics
            (:class:`TemporalNormStats`), ``'both'`` both.

    Returns:
        dict: ``frames`` (written), ``decoded``, ``lost``,
        ``skipped_packets``, ``damage`` (a sentence or None), ``scene_cuts``,
        ``seconds`` (wall), ``model_seconds`` (inside ``deblur``),
        ``startup_seconds`` (from the start to the first ``deblur`` call)
        and ``drain_seconds`` (from the end of the last ``deblur`` call to
        the committed output: the encoder's flush of the frames it holds
        back for its look-ahead, the file's close and checks).

    Raises:
        VideoInputError: No frame could be decoded.
        VideoOutputError: The output is incomplete (nothing is renamed).
        KeyboardInterrupt: Ctrl-C (the temporary output is removed).
    """
    frames = queue.Queue(maxsize=max(2, 2 * batch_size))
    batches = queue.Queue(maxsize=2)
    stop, errors = threading.Event(), []
    if hasattr(sink, 'add_audio') and hasattr(source, 'on_audio'):
        source.on_audio = sink.add_audio
    elif source.audio_streams:
        warnings.warn(f'{source.path!r}: its audio is not copied into a '
                      'folder of frames')
    check_temporal_mode(temporal_mode)
    provider = stabilizer = None
    if temporal is not None and temporal_mode in ('stats', 'both'):
        provider = TemporalNormStats(temporal)
    if temporal is not None and temporal_mode in ('brightness', 'both'):
        stabilizer = BrightnessStabilizer(temporal)
    cuts = SceneCuts(scene_cut)
    if codec_nice is None:
        codec_nice = CODEC_NICE
    reader = threading.Thread(
        target=_read, args=(source, frames, stop, codec_nice),
        name='deblurkit-video-read', daemon=True)
    writer = threading.Thread(
        target=_write,
        args=(sink, batches, stop, progress, errors, codec_nice),
        name='deblurkit-video-write', daemon=True)
    started, model_seconds, scene_cuts = time.perf_counter(), 0.0, 0
    first_call = last_return = None
    reader.start()
    writer.start()
    try:
        ended = False
        while not ended and not errors:
            try:
                ended, item = _next_batch(frames, stop, batch_size)
            except KeyboardInterrupt:
                if not source.live:
                    raise
                break  # Ctrl-C ends a camera's capture
            if not item:
                continue
            images = [frame for frame, _ in item]
            resets = [cuts(frame) for frame in images]
            scene_cuts += sum(resets)
            tick = time.perf_counter()
            if first_call is None:
                first_call = tick
            try:
                if provider is not None:
                    provider.begin_batch(resets)
                    with temporal_norm_stats(provider):
                        outputs = deblur(images)
                else:
                    outputs = deblur(images)
            except KeyboardInterrupt:
                if not source.live:
                    raise
                break  # the batch being deblurred is dropped
            last_return = time.perf_counter()
            model_seconds += last_return - tick
            if stabilizer is not None:
                outputs = stabilizer(images, outputs, resets)
            if side_by_side:
                outputs = [join_side_by_side(i, o, source.rotation)
                           for i, o in zip(images, outputs)]
            if not _put(batches, list(zip(outputs, [p for _, p in item])),
                        stop):
                break
        if errors:
            stop.set()
        else:
            _put(batches, _END, stop)
        writer.join()
        if errors:
            raise errors[0]
        if source.decoded == 0:
            raise VideoInputError(f'no frame of {source.path!r} could be '
                                  'decoded: empty, corrupt or an unsupported'
                                  ' codec')
        if not source.live and sink.frames_in != source.decoded:
            raise VideoOutputError(
                f'{sink.dst!r}: {source.decoded} frames read but '
                f'{sink.frames_in} written; nothing was written under that '
                'name')
        sink.commit()
    except BaseException:
        stop.set()
        writer.join()
        sink.abort()
        raise
    finally:
        stop.set()
        reader.join()
        source.close()
    damage = source.damage()
    if damage:
        warnings.warn(f'{source.path!r} is damaged: {damage}; the output '
                      f'holds the {source.decoded} decoded frames')
    finished = time.perf_counter()
    return dict(frames=sink.frames_in, decoded=source.decoded,
                lost=source.lost_frames(),
                skipped_packets=source.skipped_packets, damage=damage,
                scene_cuts=scene_cuts,
                seconds=finished - started, model_seconds=model_seconds,
                startup_seconds=(first_call or finished) - started,
                drain_seconds=finished - (last_return or finished))
