"""Video sinks: a file through FFmpeg's libraries (PyAV) or OpenCV, or a
folder of frames.

Every sink writes under a temporary name in the target folder and only
:meth:`commit` puts the result under the final name (one rename, with the
permissions the umask gives a new file), after checking that the file on
disk holds every frame it was given. :meth:`abort` removes the temporary.
So a full disk, an encoder error or Ctrl-C never leaves a partial video
under the final name, and a previous complete file there stays untouched.
"""
import os
import os.path as osp
import shutil
import tempfile
import warnings
from collections import deque
from fractions import Fraction
from threading import Lock

import cv2

from .reader import av, codec_threads

# Containers written through PyAV and the FFmpeg muxer of each.
CONTAINERS = {
    '.mp4': 'mp4',
    '.mov': 'mov',
    '.mkv': 'matroska',
    '.webm': 'webm',
    '.avi': 'avi',
}
# OpenCV's FFmpeg backend writes MPEG-4 Part 2 into mp4/mov/mkv, and Motion
# JPEG (built into OpenCV, so always available) into avi.
OPENCV_FOURCC = {'.mp4': 'mp4v', '.mov': 'mp4v', '.mkv': 'mp4v',
                 '.avi': 'MJPG'}


class Codec:
    """An encoder choice: FFmpeg encoder, pixel format, quality option."""

    def __init__(self, name, encoder, pix_fmt, crf=None, crf_range=None,
                 options=None, presets=()):
        self.name, self.encoder, self.pix_fmt = name, encoder, pix_fmt
        self.default_crf, self.crf_range = crf, crf_range
        self.options = dict(options or {})
        self.presets = tuple(presets)

    def encoder_options(self, crf, preset=None):
        options = dict(self.options)
        if self.default_crf is not None:
            options['crf'] = str(self.default_crf if crf is None else crf)
        if preset is not None:
            options['preset'] = preset
        return options


#: x264's and x265's speed presets (--preset), fastest first: a faster
#: preset encodes in less CPU time and makes a larger file at the same CRF.
X264_PRESETS = ('ultrafast', 'superfast', 'veryfast', 'faster', 'fast',
                'medium', 'slow', 'slower', 'veryslow')
#: The default preset. The model leaves the encoder little CPU: on 2 cores,
#: 720p FPN-MobileNet-DSC video, x264 ``medium`` made the pipeline 40-60%
#: slower than the model alone, ``veryfast`` 9-14%, at the same CRF.
DEFAULT_PRESET = 'veryfast'
# --codec choices. CRF: lower is better; the defaults are visually close to
# the input (x264's own default, 23, softens the fine detail that deblurring
# restores).
CODECS = {
    'h264': Codec('h264', 'libx264', 'yuv420p', 18, (0, 51),
                  {'preset': DEFAULT_PRESET}, X264_PRESETS),
    'h265': Codec('h265', 'libx265', 'yuv420p', 20, (0, 51),
                  {'preset': DEFAULT_PRESET, 'x265-params': 'log-level=error'},
                  X264_PRESETS),
    'vp9': Codec('vp9', 'libvpx-vp9', 'yuv420p', 30, (0, 63),
                 {'b': '0', 'row-mt': '1', 'deadline': 'good',
                  'cpu-used': '4'}),
    'av1': Codec('av1', 'libsvtav1', 'yuv420p', 32, (0, 63),
                 {'preset': '8'}),
    'prores': Codec('prores', 'prores_ks', 'yuv422p10le', None, None,
                    {'profile': '3'}),  # ProRes 422 HQ; no CRF
    'mjpeg': Codec('mjpeg', 'mjpeg', 'yuvj420p', None, None,
                   {'q:v': '2'}),
}
# The codec of each container when --codec is not given.
DEFAULT_CODEC = {'.mp4': 'h264', '.mov': 'h264', '.mkv': 'h264',
                 '.webm': 'vp9', '.avi': 'mjpeg'}


class VideoOutputError(OSError):
    """The output cannot be written (the message says why)."""


class VideoOptionError(ValueError):
    """An output name, codec or quality that cannot be written."""


def umask_mode(mode=0o666):
    """``mode`` less the process's umask: what ``open()`` would give."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def container_of(path):
    """The FFmpeg muxer for ``path``'s extension, or raise."""
    ext = osp.splitext(path)[1].lower()
    if ext not in CONTAINERS:
        raise VideoOptionError(
            f'{path!r}: cannot write {ext or "extension-less"!r} videos; use '
            f'one of {" ".join(sorted(CONTAINERS))}')
    return CONTAINERS[ext]


def resolve_codec(path, codec=None, crf=None, preset=None):
    """The :class:`Codec` for writing ``path``, checked against its
    container and the installed FFmpeg, before any work.

    Raises:
        VideoOptionError: Unknown codec, a codec this FFmpeg lacks, one the
            container cannot hold, or a CRF out of range.
    """
    fmt = container_of(path)
    ext = osp.splitext(path)[1].lower()
    name = codec or DEFAULT_CODEC[ext]
    if name not in CODECS:
        raise VideoOptionError(f'unknown codec {name!r}; use one of '
                               f'{" ".join(sorted(CODECS))}')
    choice = CODECS[name]
    if choice.encoder not in av.codecs_available:
        raise VideoOptionError(
            f'this FFmpeg build has no {choice.encoder} encoder for '
            f'{name}; choose another --codec')
    probe = av.open(os.devnull, 'w', format=fmt)
    try:
        supported = probe.supported_codecs
    finally:
        probe.close()
    codec_id = av.codec.Codec(choice.encoder, 'w').name
    if codec_id not in supported:
        good = [n for n, c in CODECS.items() if av.codec.Codec(
            c.encoder, 'w').name in supported and c.encoder in
            av.codecs_available]
        raise VideoOptionError(
            f'{path!r}: a {ext} file cannot hold {name} video; use '
            f'--codec {" or ".join(good) or "(none)"} or another extension')
    if crf is not None:
        if choice.crf_range is None:
            raise VideoOptionError(f'{name} has no CRF quality setting; '
                                   'leave --crf out')
        low, high = choice.crf_range
        if not low <= crf <= high:
            raise VideoOptionError(f'--crf for {name} must be in '
                                   f'[{low}, {high}], got {crf}')
    if preset is not None and preset not in choice.presets:
        if not choice.presets:
            raise VideoOptionError(f'{name} has no --preset; leave it out '
                                   '(h264 and h265 have presets)')
        raise VideoOptionError(f'--preset for {name} must be one of '
                               f'{" ".join(choice.presets)}, got {preset!r}')
    return choice


class _CheckedFile:
    """A file FFmpeg writes through Python: every write is complete or
    raises (``os.write`` may write less than asked on a full disk)."""

    def __init__(self, fd):
        self.fd = fd

    def write(self, data):
        view = memoryview(data)
        while view:
            done = os.write(self.fd, view)
            if done <= 0:
                raise OSError(28, 'No space left on device')
            view = view[done:]
        return len(data)

    def seek(self, offset, whence=0):
        return os.lseek(self.fd, offset, whence)

    def tell(self):
        return os.lseek(self.fd, 0, os.SEEK_CUR)

    def flush(self):
        pass


class VideoSink:
    """What every sink has: counts, commit and abort."""

    def __init__(self, dst):
        self.dst = dst
        self.frames_in = 0  # frames handed to write()
        self.tmp = None

    def write(self, frame, pts):
        raise NotImplementedError

    def finish(self):
        """Flush the encoder and close the file (may raise)."""

    def frames_on_disk(self):
        raise NotImplementedError

    def commit(self):
        """Check the written file and rename it to :attr:`dst`.

        Raises:
            VideoOutputError: It holds fewer frames than were written.
        """
        on_disk = self.frames_on_disk()
        if on_disk != self.frames_in:
            raise VideoOutputError(
                f'{self.dst!r}: the encoder stored {on_disk} of '
                f'{self.frames_in} frames; nothing was written under that '
                'name')
        os.chmod(self.tmp, umask_mode(0o777 if osp.isdir(self.tmp) else
                                      0o666))
        self._rename()
        self.tmp = None

    def _rename(self):
        os.replace(self.tmp, self.dst)

    def abort(self):
        """Remove the temporary output (never the final name)."""
        if self.tmp and osp.lexists(self.tmp):
            if osp.isdir(self.tmp) and not osp.islink(self.tmp):
                shutil.rmtree(self.tmp, ignore_errors=True)
            else:
                os.remove(self.tmp)
        self.tmp = None


class PyAVSink(VideoSink):
    """A video file encoded by FFmpeg's libraries.

    The video stream gets the source's time base and each frame its
    source time stamp (so variable frame rates survive), the source's
    display rotation, and every audio stream of the source is copied
    packet by packet (:meth:`add_audio`, from any thread).

    Args:
        dst (str): Output path (.mp4 .mov .mkv .webm .avi).
        codec (Codec): From :func:`resolve_codec`.
        crf (int, optional): Quality (default: the codec's).
        source (VideoSource): Rate, time base, rotation and audio streams.
        preset (str, optional): The encoder's speed preset (h264/h265;
            default :data:`DEFAULT_PRESET`).
    """

    def __init__(self, dst, codec, crf, source, preset=None):
        super().__init__(dst)
        self.codec, self.crf, self.source = codec, crf, source
        self.preset = preset
        self.format = container_of(dst)
        self.audio_in = list(source.audio_streams)
        probe = av.open(os.devnull, 'w', format=self.format)
        try:
            supported = probe.supported_codecs
        finally:
            probe.close()
        for stream in self.audio_in:
            name = stream.codec_context.name
            if name not in supported:
                raise VideoOptionError(
                    f'{dst!r}: its audio stream #{stream.index} ({name}) '
                    f'cannot be copied into a {osp.splitext(dst)[1]} file; '
                    'write .mkv (holds any codec) or .mov')
        folder = osp.dirname(osp.abspath(dst))
        os.makedirs(folder, exist_ok=True)
        base, ext = osp.splitext(osp.basename(dst))
        self.fd, self.tmp = tempfile.mkstemp(
            prefix=f'.{base}.', suffix=f'.tmp{ext}', dir=folder)
        self.container = None
        self.audio_pending = deque()
        self.audio_lock = Lock()
        self.audio_out = {}
        self.packets_out = 0
        self._last_pts = None

    def add_audio(self, packet):
        """Queue a demuxed audio packet for copying."""
        with self.audio_lock:
            self.audio_pending.append(packet)

    def _open(self, width, height):
        self.container = av.open(_CheckedFile(self.fd), 'w',
                                 format=self.format)
        source = self.source
        pix_fmt = self.codec.pix_fmt
        if pix_fmt.startswith('yuv') and '420' in pix_fmt and (width % 2
                                                               or height % 2):
            pix_fmt = 'yuv444p'
            warnings.warn(
                f'{self.dst!r}: {width}x{height} has an odd side, which '
                'yuv420p cannot hold; writing yuv444p (some players cannot '
                'play it)')
        stream = self.container.add_stream(
            self.codec.encoder,
            rate=source.rate or Fraction(source.fps).limit_denominator(1001),
            options=self.codec.encoder_options(self.crf, self.preset))
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.codec_context.thread_count = codec_threads()
        if source.time_base:
            # The encoder's own time base too: at 1 / frame rate the stamps
            # of a variable-rate video would collide.
            stream.time_base = source.time_base
            stream.codec_context.time_base = source.time_base
        if source.rotation:
            stream.set_display_rotation(source.rotation)
        self.video = stream
        for audio in self.audio_in:
            self.audio_out[audio.index] = self.container.add_stream_from_template(
                audio)

    def _mux_audio(self):
        while True:
            with self.audio_lock:
                if not self.audio_pending:
                    return
                packet = self.audio_pending.popleft()
            packet.stream = self.audio_out[packet.stream.index]
            self.container.mux(packet)

    def write(self, frame, pts):
        if self.container is None:
            self._open(frame.shape[1], frame.shape[0])
        image = av.VideoFrame.from_ndarray(frame, format='bgr24')
        if pts is not None and self.source.time_base:
            if self._last_pts is not None and pts <= self._last_pts:
                pts = self._last_pts + 1  # encoders need rising stamps
            image.pts, image.time_base = pts, self.source.time_base
            self._last_pts = pts
        self.frames_in += 1
        self._mux(self.video.encode(image))

    def _mux(self, packets):
        self._mux_audio()
        for packet in packets:
            self.container.mux(packet)
            self.packets_out += 1

    def finish(self):
        if self.container is None:
            return
        self._mux(self.video.encode())
        self._mux_audio()
        self.container.close()  # writes the trailer (may raise)
        self.container = None
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = None

    def frames_on_disk(self):
        if self.packets_out != self.frames_in:
            return self.packets_out
        with av.open(self.tmp) as written:
            stream = written.streams.video[0]
            return sum(1 for p in written.demux(stream) if p.size)

    def abort(self):
        if self.container is not None:
            try:
                self.container.close()
            except Exception:  # noqa: BLE001  the temp goes anyway
                pass
            self.container = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        super().abort()


class OpenCVSink(VideoSink):
    """A video file written by OpenCV (the fallback without PyAV)."""

    def __init__(self, dst, source):
        super().__init__(dst)
        ext = osp.splitext(dst)[1].lower()
        if ext not in OPENCV_FOURCC:
            raise VideoOptionError(
                f'{dst!r}: cannot write {ext!r} videos with OpenCV; use one '
                f'of {" ".join(sorted(OPENCV_FOURCC))}')
        self.fourcc = OPENCV_FOURCC[ext]
        self.fps = source.fps
        folder = osp.dirname(osp.abspath(dst))
        os.makedirs(folder, exist_ok=True)
        base = osp.splitext(osp.basename(dst))[0]
        # The container is chosen from the extension, so the temp keeps it.
        fd, self.tmp = tempfile.mkstemp(prefix=f'.{base}.',
                                        suffix=f'.tmp{ext}', dir=folder)
        os.close(fd)
        self.writer = None

    def write(self, frame, pts):
        if self.writer is None:
            self.writer = cv2.VideoWriter(
                self.tmp, cv2.VideoWriter_fourcc(*self.fourcc), self.fps,
                (frame.shape[1], frame.shape[0]))
            if not self.writer.isOpened():
                raise VideoOutputError(
                    f'OpenCV cannot write {self.dst!r} with codec '
                    f'{self.fourcc!r}; try an .avi output')
        self.writer.write(frame)
        self.frames_in += 1

    def finish(self):
        if self.writer is not None:
            self.writer.release()
            self.writer = None

    def frames_on_disk(self):
        cap = cv2.VideoCapture(self.tmp)
        count = 0
        while cap.isOpened():
            ok = cap.grab()
            if not ok:
                break
            count += 1
        cap.release()
        return count

    def abort(self):
        self.finish()
        super().abort()


class ImageSequenceSink(VideoSink):
    """Frames as numbered image files in a new folder ``dst``.

    They are written into a temporary folder beside ``dst`` that is renamed
    at the end. ``dst`` must not exist yet, or be an empty folder.
    """

    def __init__(self, dst, ext='.png', start=1):
        super().__init__(dst)
        if osp.lexists(dst) and not (osp.isdir(dst) and not os.listdir(dst)):
            raise VideoOutputError(
                f'{dst!r} already exists; frames go into a new folder: '
                'remove it or choose another --out')
        self.ext, self.start = ext, start
        folder = osp.dirname(osp.abspath(dst))
        os.makedirs(folder, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(dst)}.',
                                    suffix='.tmp', dir=folder)
        self.names = []

    def write(self, frame, pts):
        from deblurkit.apis.inference import write_image_file
        name = f'{self.start + self.frames_in:06d}{self.ext}'
        write_image_file(osp.join(self.tmp, name), frame)
        self.names.append(name)
        self.frames_in += 1

    def frames_on_disk(self):
        return sum(1 for n in self.names if osp.isfile(osp.join(self.tmp, n)))

    def _rename(self):
        mode = umask_mode(0o666)
        for name in self.names:
            os.chmod(osp.join(self.tmp, name), mode)
        if osp.isdir(self.dst):
            os.rmdir(self.dst)  # checked empty when opened
        os.replace(self.tmp, self.dst)


def open_sink(dst, source, codec=None, crf=None, frames=False,
              frame_ext='.png', preset=None):
    """The sink for ``dst``: a folder of frames with ``frames``, else a
    video file through PyAV when ``source`` is read by PyAV or is not a
    file (a folder, a camera) and PyAV is installed, else OpenCV."""
    if frames:
        return ImageSequenceSink(dst, frame_ext)
    if av is not None and (source.backend != 'opencv' or source.live):
        return PyAVSink(dst, resolve_codec(dst, codec, crf, preset), crf,
                        source, preset)
    if codec is not None or crf is not None or preset is not None:
        raise VideoOptionError('--codec, --crf and --preset need PyAV: pip '
                               "install 'deblurkit[video]'")
    return OpenCVSink(dst, source)
