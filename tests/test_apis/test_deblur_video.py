"""deblur_video: frame count, size and rate kept; failures leave no file."""
import os

import cv2
import numpy as np
import pytest

from deblurkit.apis import deblur_video
from tiny_deblur_model import tiny_model  # noqa: F401  (fixture)


def write_video(path, frames=12, fps=12.5, size=(56, 40), fourcc='mp4v'):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps,
                             size)
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(
            rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return str(path)


def probe(path):
    cap = cv2.VideoCapture(str(path))
    frames = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames += 1
        size = (frame.shape[1], frame.shape[0])
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return frames, size, fps


@pytest.mark.parametrize('ext, fourcc', [('.mp4', 'mp4v'), ('.avi', 'MJPG'),
                                         ('.mkv', 'mp4v'), ('.mov', 'mp4v')])
def test_same_frames_size_and_fps(tiny_model, tmp_path, ext, fourcc):
    src = write_video(tmp_path / f'in{ext}', fourcc=fourcc)
    dst = tmp_path / 'out' / f'in{ext}'
    calls = []
    info = deblur_video(tiny_model, src, str(dst), batch_size=5,
                        progress=calls.append)
    assert info['frames'] == 12 and sum(calls) == 12
    assert probe(dst) == (12, (56, 40), 12.5)
    assert os.listdir(tmp_path / 'out') == [f'in{ext}']  # no temporary left


def test_side_by_side_doubles_the_width(tiny_model, tmp_path):
    src = write_video(tmp_path / 'in.mp4', frames=3)
    dst = tmp_path / 'sbs.mp4'
    deblur_video(tiny_model, src, str(dst), side_by_side_output=True)
    assert probe(dst)[:2] == (3, (112, 40))


def test_unreadable_video_fails_and_writes_nothing(tiny_model, tmp_path):
    src = tmp_path / 'broken.mp4'
    src.write_bytes(b'this is not a video' * 100)
    out = tmp_path / 'out'
    with pytest.raises(OSError, match='broken.mp4'):
        deblur_video(tiny_model, str(src), str(out / 'broken.mp4'))
    assert not out.exists() or os.listdir(out) == []


def test_unknown_output_container_is_refused(tiny_model, tmp_path):
    # (.webm became writable with PyAV: VP9.)
    src = write_video(tmp_path / 'in.mp4', frames=2)
    with pytest.raises(ValueError, match='.gif'):
        deblur_video(tiny_model, src, str(tmp_path / 'out.gif'))
    assert sorted(os.listdir(tmp_path)) == ['in.mp4']


def test_h264_frames_are_per_frame_deblur_image(tiny_model, tmp_path):
    pytest.importorskip('av')
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), 'test_video'))
    from video_maker import make_video, probe
    sys.path.pop(0)
    from deblurkit.apis import deblur_image
    src = tmp_path / 'in.mov'
    make_video(src, frames=6, rotation=270)
    ref = probe(src)
    # CRF 0: H.264 is lossless, so the codec's loss is only yuv420p's.
    info = deblur_video(tiny_model, str(src), str(tmp_path / 'out.mov'),
                        batch_size=4, crf=0)
    got = probe(tmp_path / 'out.mov')
    assert info['frames'] == 6 and info['size'] == (64, 48)
    assert got['codec'] == 'h264'
    assert got['rotation'] == ref['rotation'] and ref['rotation'] % 360 == 270
    assert got['times'] == ref['times']
    assert got['audio'][0]['packets'] == ref['audio'][0]['packets']
    from av import VideoFrame
    for out, frame in zip(got['frames'], ref['frames']):
        expected = VideoFrame.from_ndarray(
            deblur_image(tiny_model, frame), format='bgr24').reformat(
                format='yuv420p').to_ndarray(format='bgr24')
        err = np.abs(out.astype(int) - expected)
        assert err.mean() < 0.5 and err.max() <= 3
        assert np.abs(out.astype(int) - frame).mean() > 5


def test_without_pyav_opencv_writes_with_a_warning(tiny_model, tmp_path,
                                                   monkeypatch):
    from deblurkit.video import reader, writer
    monkeypatch.setattr(reader, 'av', None)
    monkeypatch.setattr(writer, 'av', None)
    src = write_video(tmp_path / 'in.mp4', frames=3)
    with pytest.warns(UserWarning, match='no audio, the rotation metadata'):
        info = deblur_video(tiny_model, src, str(tmp_path / 'out.mp4'))
    assert info['frames'] == 3
    assert probe(tmp_path / 'out.mp4') == (3, (56, 40), 12.5)
    with pytest.raises(ValueError, match='need PyAV'):
        deblur_video(tiny_model, src, str(tmp_path / 'x.mp4'), codec='h264')
