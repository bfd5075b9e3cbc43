"""open_source: bad and damaged inputs are named, counted, never touched."""
import numpy as np
import pytest
from video_maker import av, make_video

from deblurkit.video import VideoInputError, open_sink, open_source
from deblurkit.video import run_pipeline


def test_a_file_without_video_is_refused(tmp_path):
    path = tmp_path / 'sound.mka'
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('aac', rate=16000, layout='mono')
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format='fltp', layout='mono')
        frame.sample_rate, frame.pts = 16000, 0
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    with pytest.raises(VideoInputError, match='no video stream'):
        open_source(str(path))


def test_not_a_video_and_missing_files_are_named(tmp_path):
    (tmp_path / 'junk.mp4').write_bytes(b'not a video at all' * 50)
    with pytest.raises(VideoInputError, match='junk.mp4'):
        open_source(str(tmp_path / 'junk.mp4'))
    with pytest.raises(VideoInputError, match='no such file'):
        open_source(str(tmp_path / 'missing.mp4'))


def test_zero_frames_is_an_error_and_writes_nothing(tmp_path):
    path = tmp_path / 'empty.avi'  # a video stream without a frame
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('libx264', rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, 'yuv420p'
        out.start_encoding()
    source = open_source(str(path))
    sink = open_sink(str(tmp_path / 'out' / 'empty.mp4'), source)
    with pytest.raises(VideoInputError, match='no frame'):
        run_pipeline(lambda f: f, source, sink)
    assert list((tmp_path / 'out').iterdir()) == []


def _packets(path):
    with av.open(str(path)) as video:
        return [(p.pos, p.size) for p in video.demux(video.streams.video[0])
                if p.size]


def test_a_corrupt_packet_is_skipped_and_counted(tmp_path):
    src = tmp_path / 'in.mp4'
    make_video(src, audio=False)
    data = bytearray(src.read_bytes())
    pos, size = _packets(src)[3]
    data[pos:pos + size] = bytes(size)
    src.write_bytes(bytes(data))
    source = open_source(str(src))
    sink = open_sink(str(tmp_path / 'out.mp4'), source)
    with pytest.warns(UserWarning, match='1 of 8 frames'):
        info = run_pipeline(lambda f: f, source, sink)
    assert (info['frames'], info['lost'], info['skipped_packets']) == (7, 1,
                                                                       1)
    assert src.read_bytes() == bytes(data)


def test_a_truncated_file_reports_the_frames_lost(tmp_path):
    src = tmp_path / 'in.mp4'
    make_video(src, frames=12, audio=False, faststart=True)
    cut = _packets(src)[6][0]
    (tmp_path / 'cut.mp4').write_bytes(src.read_bytes()[:cut])
    source = open_source(str(tmp_path / 'cut.mp4'))
    sink = open_sink(str(tmp_path / 'out.mp4'), source)
    with pytest.warns(UserWarning, match='of 12 frames could not be'):
        info = run_pipeline(lambda f: f, source, sink)
    assert info['frames'] < 12 and info['lost'] == 12 - info['frames']
