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
