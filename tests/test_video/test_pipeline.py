"""run_pipeline: frames, time stamps, rotation and audio kept; codecs by
option; every failure (encoder, full disk, short file, Ctrl-C) leaves the
previous output untouched and no temporary behind."""
import errno
import os

import numpy as np
import pytest
from video_maker import VFR_PTS, make_video, pattern, probe

from deblurkit.video import (SceneCuts, VideoOptionError, VideoOutputError,
                             open_sink, open_source, run_pipeline)
from deblurkit.video import writer as writer_module


def invert(frames):
    return [255 - f for f in frames]


def run(src, dst, deblur=invert, batch_size=3, codec=None, crf=None, **kw):
    source = open_source(str(src), fps=kw.pop('fps', None))
    sink = open_sink(str(dst), source, codec, crf, kw.pop('frames', False),
                     preset=kw.pop('preset', None))
    return run_pipeline(deblur, source, sink, batch_size, **kw)


@pytest.fixture
def clip(tmp_path):
    src = tmp_path / 'in.mp4'
    make_video(src, pts=VFR_PTS, rotation=90)
    return src


def test_h264_keeps_frames_stamps_rotation_and_audio(clip, tmp_path):
    before = clip.read_bytes()
    dst = tmp_path / 'out' / 'clip.mp4'
    calls = []
    info = run(clip, dst, progress=calls.append)
    got, ref = probe(dst), probe(clip)
    assert (info['frames'], info['decoded'], info['lost']) == (8, 8, 0)
    assert sum(calls) == 8 and calls == [3, 3, 2]
    assert (got['codec'], got['pix_fmt']) == ('h264', 'yuv420p')
    assert got['times'] == [t / 1000 for t in VFR_PTS]  # variable rate
    assert got['rotation'] == ref['rotation'] == 90
    # The audio is copied packet for packet, not re-encoded.
    assert len(got['audio']) == 1
    assert got['audio'][0]['codec'] == 'aac'
    assert got['audio'][0]['packets'] == ref['audio'][0]['packets']
    assert got['audio'][0]['duration'] == pytest.approx(
        ref['audio'][0]['duration'], abs=0.07)
    # Content: the inverted input within H.264's loss at CRF 18.
    errs = []
    for out, inp in zip(got['frames'], ref['frames']):
        err = np.abs(out.astype(int) - (255 - inp.astype(int))).mean()
        errs.append(err)
    # CRF 18 on these patterns: 2.07 - 2.43 here, 2.53 seen in one CI run
    assert max(errs) < 3.0, errs
    assert np.abs(got['frames'][0].astype(int) -
                  ref['frames'][0].astype(int)).mean() > 20
    assert clip.read_bytes() == before  # the input is never touched
    assert os.listdir(dst.parent) == ['clip.mp4']
    assert oct(os.stat(dst).st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_crf_changes_the_size(clip, tmp_path):
    run(clip, tmp_path / 'hq.mp4', crf=10)
    run(clip, tmp_path / 'lq.mkv', crf=45)
    # Matroska starts every stream later by the encoder's delay (no
    # negative stamps), so the spacing of the stamps is what it keeps.
    times = probe(tmp_path / 'lq.mkv')['times']
    assert np.allclose(np.subtract(times, times[0]),
                       np.divide(VFR_PTS, 1000))
    assert os.path.getsize(tmp_path / 'hq.mp4') > 1.2 * os.path.getsize(
        tmp_path / 'lq.mkv')


def test_preset_reaches_the_encoder(clip, tmp_path):
    # x264 writes its settings into the stream: ultrafast turns CABAC off.
    run(clip, tmp_path / 'medium.mp4')
    run(clip, tmp_path / 'fast.mp4', preset='ultrafast')
    assert b'cabac=1' in (tmp_path / 'medium.mp4').read_bytes()
    fast = (tmp_path / 'fast.mp4').read_bytes()
    assert b'cabac=0' in fast and b'cabac=1' not in fast
    assert len(probe(tmp_path / 'fast.mp4')['frames']) == 8


@pytest.mark.parametrize('codec, ext, names', [
    ('vp9', '.webm', ('vp9', 'libvpx-vp9')), ('prores', '.mov', ('prores',)),
    ('av1', '.mkv', ('av1', 'libdav1d'))])
def test_other_codecs_by_option(tmp_path, codec, ext, names):
    src = tmp_path / 'in.mkv'
    make_video(src, frames=4, audio=False)
    run(src, tmp_path / f'out{ext}', codec=codec)
    got = probe(tmp_path / f'out{ext}')
    assert got['codec'] in names and len(got['frames']) == 4


def test_a_codec_the_container_cannot_hold_is_refused_first(clip, tmp_path):
    with pytest.raises(VideoOptionError, match='prores'):
        run(clip, tmp_path / 'out.mp4', codec='prores')
    with pytest.raises(VideoOptionError, match='.gif'):
        run(clip, tmp_path / 'out.gif')
    with pytest.raises(VideoOptionError, match='crf'):
        run(clip, tmp_path / 'out.mp4', crf=99)
    with pytest.raises(VideoOptionError, match='preset for h264'):
        run(clip, tmp_path / 'out.mp4', preset='quick')
    with pytest.raises(VideoOptionError, match='vp9 has no --preset'):
        run(clip, tmp_path / 'out.webm', preset='fast')
    assert sorted(os.listdir(tmp_path)) == ['in.mp4']


def _previous(dst):
    dst.parent.mkdir(exist_ok=True)
    dst.write_bytes(b'a complete earlier result')
    return dst.read_bytes()


def _untouched(dst, before):
    assert dst.read_bytes() == before
    assert os.listdir(dst.parent) == [dst.name]  # no temporary left


def test_an_encoder_error_midway_keeps_the_previous_file(
        clip, tmp_path, monkeypatch):
    dst = tmp_path / 'out' / 'clip.mp4'
    before = _previous(dst)
    real, calls = writer_module.PyAVSink._mux, []

    def failing(self, packets):
        calls.append(1)
        if len(calls) == 4:
            raise OSError(errno.EIO, 'encoder exploded')
        return real(self, packets)

    monkeypatch.setattr(writer_module.PyAVSink, '_mux', failing)
    with pytest.raises(OSError, match='encoder exploded'):
        run(clip, dst)
    _untouched(dst, before)


@pytest.mark.parametrize('short', [False, True])
def test_a_full_disk_keeps_the_previous_file(clip, tmp_path, monkeypatch,
                                             short):
    dst = tmp_path / 'out' / 'clip.mp4'
    before = _previous(dst)
    real, written = os.write, []

    def write(fd, data):
        if sum(written) > 2000:  # the disk is full after 2 kB
            if short:
                return 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(len(data))
        return real(fd, data)

    monkeypatch.setattr(writer_module.os, 'write', write)
    with pytest.raises(OSError) as err:
        run(clip, dst)
    assert err.value.errno == errno.ENOSPC
    _untouched(dst, before)


def test_fewer_frames_on_disk_than_written_is_an_error(
        clip, tmp_path, monkeypatch):
    dst = tmp_path / 'out' / 'clip.mp4'
    before = _previous(dst)
    monkeypatch.setattr(writer_module.PyAVSink, 'frames_on_disk',
                        lambda self: self.frames_in - 1)
    with pytest.raises(VideoOutputError, match='7 of 8 frames'):
        run(clip, dst)
    _untouched(dst, before)


def test_ctrl_c_leaves_no_partial_output(clip, tmp_path):
    dst = tmp_path / 'out' / 'clip.mp4'
    before = _previous(dst)
    batches = []

    def interrupted(frames):
        batches.append(1)
        if len(batches) == 2:
            raise KeyboardInterrupt
        return frames

    with pytest.raises(KeyboardInterrupt):
        run(clip, dst, deblur=interrupted)
    _untouched(dst, before)


def test_frames_in_and_out_of_folders(tmp_path):
    import cv2
    frames = tmp_path / 'frames'
    frames.mkdir()
    for i in (1, 2, 10, 3):  # natural order: 1 2 3 10
        cv2.imwrite(str(frames / f'f{i}.png'), pattern(i))
    info = run(frames, tmp_path / 'seq.mp4', fps=12.5)
    got = probe(tmp_path / 'seq.mp4')
    assert info['frames'] == 4
    assert got['times'] == [0, 0.08, 0.16, 0.24]  # 12.5 fps
    for out, i in zip(got['frames'], (1, 2, 3, 10)):
        # (4:2:0 chroma of a colourful pattern: a larger loss than above)
        assert np.abs(out.astype(int) - (255 - pattern(i))).mean() < 5
    run(frames, tmp_path / 'back', frames=True)
    assert sorted(os.listdir(tmp_path / 'back')) == [
        f'{i:06d}.png' for i in (1, 2, 3, 4)]
    np.testing.assert_array_equal(
        cv2.imread(str(tmp_path / 'back' / '000004.png')), 255 - pattern(10))
    with pytest.raises(VideoOutputError, match='already exists'):
        run(frames, tmp_path / 'back', frames=True)


def test_scene_cuts_are_found_and_panning_is_not_a_cut():
    cuts = SceneCuts()
    assert cuts(pattern(0)) is True  # the first frame starts a scene
    assert [cuts(pattern(i)) for i in range(1, 6)] == [False] * 5
    assert cuts(np.full((48, 64, 3), 250, np.uint8)) is True


def test_ctrl_c_ends_a_camera_and_writes_what_was_captured(tmp_path):
    from deblurkit.video.reader import VideoSource

    class Camera(VideoSource):
        live = True
        backend = 'camera'

        def frames(self):
            i = 0
            while True:  # no end of its own
                self.decoded += 1
                yield pattern(i), None
                i += 1

    camera = Camera('webcam:9')
    batches = []

    def deblur(frames):
        batches.append(1)
        if len(batches) == 3:
            raise KeyboardInterrupt
        return invert(frames)

    dst = tmp_path / 'cam.mp4'
    info = run_pipeline(deblur, camera, open_sink(str(dst), camera),
                        batch_size=2)
    assert info['frames'] == 4 and len(probe(dst)['frames']) == 4


@pytest.mark.skipif(not hasattr(os, 'getpriority') or
                    not os.uname().sysname == 'Linux',
                    reason='per-thread niceness is a Linux feature')
@pytest.mark.parametrize('nice', [None, 0, 3])
def test_decoding_and_encoding_threads_run_nicer_than_the_model(
        tmp_path, nice):
    import threading

    from deblurkit.video import pipeline
    from deblurkit.video.reader import VideoSource

    def niceness():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    seen = {}

    class Frames(VideoSource):
        backend = 'test'

        def frames(self):
            seen['reader'] = niceness()
            for i in range(3):
                self.decoded += 1
                yield pattern(i), None

    def deblur(frames):
        seen['model'] = niceness()
        return invert(frames)

    source = Frames('test')
    sink = open_sink(str(tmp_path / 'seq'), source, frames=True)
    write = sink.write

    def recording_write(frame, pts):
        seen['writer'] = niceness()
        write(frame, pts)

    sink.write = recording_write
    caller = niceness()
    info = run_pipeline(deblur, source, sink, 1, codec_nice=nice)
    assert info['frames'] == 3
    wanted = min(19, caller + (pipeline.CODEC_NICE if nice is None else nice))
    assert seen == {'reader': wanted, 'writer': wanted, 'model': caller}
    assert niceness() == caller  # the caller's own priority is untouched


def test_startup_and_drain_time_what_happens_before_and_after_the_model(
        tmp_path):
    import time

    from deblurkit.video.reader import VideoSource

    class SlowStart(VideoSource):
        backend = 'test'

        def frames(self):
            time.sleep(0.2)  # opening / decoding the first frame
            for i in range(3):
                self.decoded += 1
                yield pattern(i), None

    def deblur(frames):
        time.sleep(0.3)
        return invert(frames)

    source = SlowStart('test')
    sink = open_sink(str(tmp_path / 'seq'), source, frames=True)
    finish = sink.finish

    def slow_finish():
        time.sleep(0.3)  # an encoder flushing its look-ahead
        finish()

    sink.finish = slow_finish
    info = run_pipeline(deblur, source, sink, 1)
    assert info['frames'] == 3
    # Upper bounds: scheduling slack, but less than one model call more.
    assert 0.2 <= info['startup_seconds'] < 0.2 + 0.25
    assert 0.3 <= info['drain_seconds'] < 0.3 + 0.25
    assert 0.9 <= info['model_seconds'] < 0.9 + 0.25
    assert info['seconds'] >= (info['startup_seconds'] +
                               info['model_seconds'] + info['drain_seconds'])
