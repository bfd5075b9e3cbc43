"""Video sources: a file through FFmpeg's libraries (PyAV) or OpenCV, a
folder of frames, a webcam.

A source yields ``(frame, pts)`` pairs from :meth:`frames`: ``frame`` is an
``H x W x 3`` BGR uint8 array as stored in the file (not turned by the
rotation metadata, which the writer copies), ``pts`` the frame's time stamp
in units of :attr:`time_base` (None where the backend has none). It counts
what it read (:attr:`decoded`) and what it had to skip
(:attr:`skipped_packets`, :attr:`corrupt_frames`, :attr:`read_error`), so
the caller can tell a damaged input from a complete one
(:meth:`lost_frames`).
"""
import math
import os
import os.path as osp
import re
import warnings
from fractions import Fraction

import cv2
import numpy as np

from deblurkit.datasets.image_io import IMG_EXTENSIONS

try:  # optional: pip install deblurkit[video]
    import av
except ImportError:  # pragma: no cover - depends on the environment
    av = None

# Frame rate assumed when a source reports none (and no fps is given).
DEFAULT_FPS = 25.0
WEBCAM_PREFIX = 'webcam:'


class VideoInputError(OSError):
    """The input cannot be read as a video (the message says why)."""


def pyav_available():
    """Whether PyAV (FFmpeg's libraries) can be imported."""
    return av is not None


def codec_threads():
    """Threads for FFmpeg's decoder and encoder: the cores the model's
    threads leave free (at least 1). On a 2-core machine a codec thread
    pool competing with PyTorch's two threads makes every forward pass wait
    at its barriers."""
    import torch
    return max(1, (os.cpu_count() or 1) - torch.get_num_threads())


def _fraction(rate):
    if rate is None:
        return None
    rate = Fraction(rate).limit_denominator(1001000)
    return rate if rate > 0 else None


class VideoSource:
    """What every source has (see the module docstring)."""

    backend = None
    live = False  # a camera: no end of its own, no container to check

    def __init__(self, path):
        self.path = path
        self.rate = None  # Fraction, frames per second
        self.time_base = None  # Fraction, seconds per pts unit
        self.rotation = 0  # degrees counter-clockwise, as FFmpeg's display
        self.audio_streams = []  # PyAV streams to copy
        self.expected_frames = None  # from the container's index, if any
        self.decoded = 0
        self.skipped_packets = 0
        self.corrupt_frames = 0
        self.read_error = None

    @property
    def fps(self):
        """Frames per second (float)."""
        return float(self.rate) if self.rate else DEFAULT_FPS

    def frames(self):
        raise NotImplementedError

    def lost_frames(self):
        """Frames the container announced but that were not decoded (the
        skipped packets if it announced none)."""
        if self.expected_frames:
            return max(self.expected_frames - self.decoded,
                       self.skipped_packets)
        return self.skipped_packets

    def damage(self):
        """A sentence on what was skipped or lost, or None."""
        lost = self.lost_frames()
        parts = []
        if lost:
            total = self.expected_frames or self.decoded + lost
            parts.append(f'{lost} of {total} frames could not be decoded')
        if self.skipped_packets:
            parts.append(f'{self.skipped_packets} corrupt packets skipped')
        if self.corrupt_frames:
            parts.append(f'{self.corrupt_frames} frames decoded with errors')
        if self.read_error:
            parts.append(f'reading stopped early: {self.read_error}')
        return '; '.join(parts) or None

    def close(self):
        pass


class PyAVSource(VideoSource):
    """A video file decoded by FFmpeg's libraries; audio packets are kept
    for copying (:attr:`on_audio` receives them in file order)."""

    backend = 'pyav'

    def __init__(self, path):
        super().__init__(path)
        try:
            self.container = av.open(path)
        except (av.error.FFmpegError, UnicodeDecodeError) as err:
            raise VideoInputError(
                f'FFmpeg cannot open {path!r} as a video: {_reason(err)}. '
                'Check that it is a complete video file.') from None
        if not self.container.streams.video:
            self.container.close()
            raise VideoInputError(
                f'{path!r} has no video stream (only '
                f'{_stream_kinds(self.container) or "nothing"}); give a '
                'video file.')
        self.stream = self.container.streams.video[0]
        codec = self.stream.codec_context
        if codec is None or not codec.name:
            self.container.close()
            raise VideoInputError(
                f'{path!r}: FFmpeg has no decoder for its video codec; '
                'convert it to H.264 first.')
        self.stream.thread_type = 'AUTO'
        self.stream.codec_context.thread_count = codec_threads()
        self.codec_name = codec.name
        self.width, self.height = codec.width, codec.height
        self.time_base = self.stream.time_base
        self.rate = _fraction(self.stream.average_rate
                              or self.stream.guessed_rate)
        self.expected_frames = self.stream.frames or None
        self.audio_streams = list(self.container.streams.audio)
        self.on_audio = None
        self._rotation_known = False

    def frames(self):
        streams = [self.stream] + self.audio_streams
        packets = self.container.demux(*streams)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.error.FFmpegError as err:
                self.read_error = _reason(err)
                warnings.warn(f'{self.path!r}: stopped reading at a damaged '
                              f'part of the file ({self.read_error})')
                return
            if packet.stream.type == 'audio':
                if packet.dts is not None and self.on_audio is not None:
                    self.on_audio(packet)
                continue
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as err:
                self.skipped_packets += 1
                warnings.warn(f'{self.path!r}: skipped a corrupt video packet '
                              f'at {_packet_time(packet)} ({_reason(err)})')
                continue
            for frame in decoded:
                if frame.is_corrupt:
                    self.corrupt_frames += 1
                if not self._rotation_known:
                    self.rotation = int(round(frame.rotation or 0)) % 360
                    self._rotation_known = True
                self.decoded += 1
                yield frame.to_ndarray(format='bgr24'), frame.pts

    def close(self):
        self.container.close()


class OpenCVSource(VideoSource):
    """A video file or camera read by OpenCV (the fallback without PyAV):
    OpenCV turns frames upright itself, so :attr:`rotation` stays 0; no
    audio, no time stamps."""

    backend = 'opencv'

    def __init__(self, path, device=None):
        super().__init__(path)
        self.live = device is not None
        self.cap = cv2.VideoCapture(device if self.live else path)
        if not self.cap.isOpened():
            what = f'camera {device}' if self.live else f'video {path!r}'
            raise VideoInputError(f'OpenCV cannot open {what}: missing, '
                                  'corrupt or an unsupported codec')
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        if fps and math.isfinite(fps) and fps > 0:
            self.rate = _fraction(fps)
        count = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.expected_frames = None if self.live or count <= 0 else count

    def frames(self):
        while True:
            ok, frame = self.cap.read()
            if not ok:
                return
            self.decoded += 1
            yield frame, None

    def lost_frames(self):
        # OpenCV's count is an estimate from the duration: not evidence.
        return 0

    def close(self):
        self.cap.release()


def _natural_key(name):
    return [int(part) if part.isdigit() else part.lower()
            for part in re.split(r'(\d+)', name)]


def sequence_files(folder):
    """The image files of ``folder`` (not below it), in natural name order
    (``frame2`` before ``frame10``), hidden files left out."""
    names = [
        n for n in os.listdir(folder) if not n.startswith('.')
        and osp.splitext(n)[1].lower() in IMG_EXTENSIONS
        and osp.isfile(osp.join(folder, n))
    ]
    return [osp.join(folder, n) for n in sorted(names, key=_natural_key)]


def to_bgr8(img):
    """An image array as 3-channel BGR uint8 (16-bit scaled, gray
    repeated, alpha dropped)."""
    if img.dtype == np.uint16:
        img = (img.astype(np.float32) * (255 / 65535) + 0.5).astype(np.uint8)
    if img.ndim == 2 or img.shape[2] == 1:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = img[..., :3]
    return np.ascontiguousarray(img)


class ImageSequenceSource(VideoSource):
    """A folder of frames (image files, natural name order) at ``fps``."""

    backend = 'images'

    def __init__(self, folder, fps=None):
        super().__init__(folder)
        self.files = sequence_files(folder)
        if not self.files:
            raise VideoInputError(
                f'{folder!r} holds no image files ({" ".join(IMG_EXTENSIONS)}'
                '); give a folder of frames.')
        if fps is None:
            warnings.warn(f'{folder!r}: no frame rate given (--fps); '
                          f'writing {DEFAULT_FPS} fps')
        self.rate = _fraction(fps or DEFAULT_FPS)
        self.time_base = 1 / self.rate
        self.expected_frames = len(self.files)

    def frames(self):
        from deblurkit.apis.inference import read_image_file
        size = None
        for i, path in enumerate(self.files):
            img = to_bgr8(read_image_file(path))
            if size is None:
                size = img.shape
            elif img.shape != size:
                raise VideoInputError(
                    f'{path!r} is {img.shape[1]}x{img.shape[0]}, the first '
                    f'frame {size[1]}x{size[0]}; all frames of a sequence '
                    'must have one size.')
            self.decoded += 1
            yield img, i


def open_source(path, fps=None, backend='auto'):
    """The source for ``path``.

    Args:
        path (str): A video file, a folder of frames, or ``webcam:N``.
        fps (float, optional): Frame rate of a folder of frames (and of a
            camera that reports none).
        backend (str): ``'auto'`` (PyAV if installed, else OpenCV),
            ``'pyav'`` or ``'opencv'``, for files.

    Raises:
        VideoInputError: It cannot be opened.
    """
    if isinstance(path, str) and path.startswith(WEBCAM_PREFIX):
        index = path[len(WEBCAM_PREFIX):]
        if not index.isdigit():
            raise VideoInputError(f'{path!r}: write a camera as webcam:N, '
                                  'e.g. webcam:0')
        source = OpenCVSource(path, device=int(index))
        if fps:
            source.rate = _fraction(fps)
        return source
    if osp.isdir(path):
        return ImageSequenceSource(path, fps)
    if not osp.isfile(path):
        raise VideoInputError(f'{path!r}: no such file')
    if backend == 'pyav' or (backend == 'auto' and av is not None):
        if av is None:
            raise VideoInputError('PyAV is not installed: pip install '
                                  "'deblurkit[video]'")
        return PyAVSource(path)
    return OpenCVSource(path)


def _reason(err):
    text = getattr(err, 'strerror', None) or str(err)
    return text.split(": '")[0].strip()


def _packet_time(packet):
    if packet.pts is None or packet.time_base is None:
        return 'an unknown time'
    return f'{float(packet.pts * packet.time_base):.3f} s'


def _stream_kinds(container):
    return ', '.join(sorted({s.type for s in container.streams}))
