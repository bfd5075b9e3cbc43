"""Tiny test videos made with PyAV, and what a written video holds.

Imported by name (``from video_maker import make_video``) by the video
tests; not a conftest.py.
"""
from fractions import Fraction

import numpy as np
import pytest

av = pytest.importorskip('av')

# Variable frame rate: stamps in milliseconds with a pause in the middle.
VFR_PTS = (0, 40, 80, 200, 240, 280, 440, 480)
AUDIO_RATE = 16000


def pattern(i, size=(64, 48)):
    """Frame ``i`` of a smooth pattern moving right (BGR uint8)."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 128 + 60 * np.sin((x - 3 * i) / 6) * np.cos(y / 7)
    return np.stack([base, np.roll(base, 5, 1), 255 - base],
                    2).clip(0, 255).astype(np.uint8)


def make_video(path, frames=8, size=(64, 48), pts=None, audio=True,
               rotation=0, codec='libx264', faststart=False, images=None):
    """Write a video: ``frames`` frames at the millisecond ``pts`` (default
    25 fps), an AAC sine track as long as the video, a display rotation.

    Returns:
        list[np.ndarray]: The frames written (BGR).
    """
    pts = list(pts or range(0, 40 * frames, 40))[:frames]
    options = {'movflags': '+faststart'} if faststart else {}
    images = images or [pattern(i, size) for i in range(frames)]
    with av.open(str(path), 'w', options=options) as out:
        video = out.add_stream(codec, rate=25)
        video.width, video.height = size
        video.pix_fmt = 'yuv420p'
        video.time_base = video.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            video.set_display_rotation(rotation)
        if audio:
            sound = out.add_stream('aac', rate=AUDIO_RATE, layout='mono')
        for stamp, image in zip(pts, images):
            frame = av.VideoFrame.from_ndarray(image, format='bgr24')
            frame.pts, frame.time_base = stamp, video.time_base
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if audio:
            n = AUDIO_RATE * (pts[-1] + 40) // 1000
            wave = (0.3 * np.sin(np.arange(n) / 5)).astype(np.float32)[None]
            for start in range(0, n, 1024):
                frame = av.AudioFrame.from_ndarray(
                    wave[:, start:start + 1024], format='fltp',
                    layout='mono')
                frame.sample_rate, frame.pts = AUDIO_RATE, start
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return images


def probe(path):
    """What a video holds: codec, pixel format, frame times (s), rotation,
    decoded BGR frames, and per audio stream its codec, duration (s) and
    packet bytes."""
    with av.open(str(path)) as video:
        stream = video.streams.video[0]
        frames = list(video.decode(stream))
        info = dict(
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt,
            times=[round(float(f.pts * f.time_base), 4) for f in frames],
            rotation=frames[0].rotation if frames else None,
            frames=[f.to_ndarray(format='bgr24') for f in frames])
    with av.open(str(path)) as video:
        audio = []
        for stream in video.streams.audio:
            packets = [p for p in video.demux(stream) if p.size]
            end = max(p.pts + p.duration for p in packets)
            start = min(p.pts for p in packets)
            audio.append(dict(codec=stream.codec_context.name,
                              duration=float((end - start) *
                                             stream.time_base),
                              packets=[bytes(p) for p in packets]))
        info['audio'] = audio
    return info
