"""tools/deblur.py: inputs, outputs, bad files and exit codes."""
import hashlib
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from conftest import needs_bf16_convolutions

from deblurkit.apis import deblur_image, init_model
from deblurkit.fileio import MANIFEST_NAME

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'deblur.py')
TINY_CONFIG = osp.join(REPO, 'tests', 'data', 'configs',
                       'deblurganv2_tiny.py')

_spec = importlib.util.spec_from_file_location('deblur_tool', TOOL)
deblur_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deblur_tool)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A deblurkit checkpoint of the tiny config, and the model it loads."""
    torch.manual_seed(0)
    model = init_model(TINY_CONFIG)
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    torch.save(
        {
            'state_dict': {
                f'generator.{k}': v
                for k, v in model.generator.state_dict().items()
            }
        }, path)
    return path, init_model(TINY_CONFIG, path)


def run(inputs, out, checkpoint, *extra):
    argv = [str(i) for i in inputs] + [
        '--config', TINY_CONFIG, '--checkpoint', checkpoint, '--out',
        str(out), *extra
    ]
    return deblur_tool.main(argv)


def rand(shape, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True,
                        dtype=dtype)


def digest(folder):
    return {
        p: hashlib.sha1(open(osp.join(r, p), 'rb').read()).hexdigest()
        for r, _, files in os.walk(folder) for p in files
    }


def test_mixed_folder(checkpoint, tmp_path, capsys):
    src = tmp_path / 'in'
    (src / 'sub').mkdir(parents=True)
    images = {
        'rgb.png': rand((40, 56, 3)),
        'photo.jpg': rand((40, 56, 3), seed=1),
        'sub/gray.png': rand((40, 56), seed=2),
        'rgba.png': rand((40, 56, 4), seed=3),
        'deep.png': rand((40, 56, 3), np.uint16, seed=4),
        'odd.png': rand((333, 517, 3), seed=5),
    }
    for name, img in images.items():
        assert cv2.imwrite(str(src / name), img)
    jpg = cv2.imencode('.jpg', rand((40, 56, 3)))[1].tobytes()
    (src / 'truncated.jpg').write_bytes(jpg[:len(jpg) // 2])
    (src / 'notes.txt').write_text('not an image')
    before = digest(src)

    status = run([src], tmp_path / 'out', checkpoint[0], '--batch-size', '2')

    assert status == 1
    for name, img in images.items():
        out = cv2.imread(str(tmp_path / 'out' / name), cv2.IMREAD_UNCHANGED)
        assert out is not None, name
        assert out.shape == img.shape and out.dtype == img.dtype, name
    written = sorted(
        osp.relpath(osp.join(r, f), tmp_path / 'out')
        for r, _, files in os.walk(tmp_path / 'out') for f in files)
    # Nothing else, no temporary files; the manifest lists what was written.
    assert written == sorted(list(images) + [MANIFEST_NAME])
    report = capsys.readouterr().out
    assert '6 written' in report and '2 failed' in report
    failures = [line for line in report.splitlines() if 'FAILED' in line]
    assert len(failures) == 2
    # Sorted by name.
    assert 'notes.txt' in failures[0] and 'not an image' in failures[0]
    assert 'truncated.jpg' in failures[1] and 'no end marker' in failures[1]
    assert digest(src) == before  # inputs untouched
    # Alpha is copied bit for bit.
    np.testing.assert_array_equal(
        cv2.imread(str(tmp_path / 'out' / 'rgba.png'),
                   cv2.IMREAD_UNCHANGED)[..., 3], images['rgba.png'][..., 3])


def test_tool_and_api_give_identical_pixels(checkpoint, tmp_path):
    path, model = checkpoint
    img = rand((33, 51, 3))
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    assert run([tmp_path / 'a.png'], tmp_path / 'out', path) == 0
    np.testing.assert_array_equal(
        cv2.imread(str(tmp_path / 'out' / 'a.png'), cv2.IMREAD_UNCHANGED),
        deblur_image(model, img))
    assert run([tmp_path / 'a.png'], tmp_path / 'tiled', path, '--tile', '64',
               '--tile-overlap', '16') == 0
    big = rand((100, 150, 3))
    cv2.imwrite(str(tmp_path / 'a.png'), big)
    assert run([tmp_path / 'a.png'], tmp_path / 'tiled', path, '--tile', '64',
               '--tile-overlap', '16') == 0
    np.testing.assert_array_equal(
        cv2.imread(str(tmp_path / 'tiled' / 'a.png')),
        deblur_image(model, big, tile=64, tile_overlap=16))


def test_side_by_side(checkpoint, tmp_path):
    path, model = checkpoint
    img = rand((40, 56, 4))
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    assert run([tmp_path / 'a.png'], tmp_path / 'out', path,
               '--side-by-side') == 0
    out = cv2.imread(str(tmp_path / 'out' / 'a.png'), cv2.IMREAD_UNCHANGED)
    # Each half carries its label in the top-left corner; below it the
    # pixels are the input and the output.
    np.testing.assert_array_equal(out[20:, :56], img[20:])
    deblurred = deblur_image(model, img)
    np.testing.assert_array_equal(out[20:, 56:], deblurred[20:])
    for half, under in ((out[:, :56], img), (out[:, 56:], deblurred)):
        label = half[:14, :30]
        assert (label[..., :3] >= 190).all(axis=-1).sum() >= 10  # text
        assert (label[..., 3] == 255).all()  # opaque box
        assert not np.array_equal(label, under[:14, :30])


def test_video(checkpoint, tmp_path):
    src = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*'mp4v'), 15,
                             (56, 40))
    for i in range(12):
        writer.write(rand((40, 56, 3), seed=i))
    writer.release()
    (tmp_path / 'broken.avi').write_bytes(b'\x00' * 1000)
    status = run([src, tmp_path / 'broken.avi'], tmp_path / 'out',
                 checkpoint[0], '--batch-size', '4')
    assert status == 1
    cap = cv2.VideoCapture(str(tmp_path / 'out' / 'clip.mp4'))
    assert cap.get(cv2.CAP_PROP_FPS) == 15
    frames = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        assert frame.shape == (40, 56, 3)
        frames += 1
    assert frames == 12
    assert not (tmp_path / 'out' / 'broken.avi').exists()


def test_globs_mirror_paths_below_the_fixed_folders(checkpoint, tmp_path):
    for sub in ('a', 'b'):
        (tmp_path / 'in' / sub).mkdir(parents=True)
        cv2.imwrite(str(tmp_path / 'in' / sub / 'x.png'), rand((40, 56, 3)))
    pattern = osp.join(tmp_path, 'in', '*', '*.png')
    assert run([pattern, osp.join(tmp_path, 'nothing', '*.png')],
               tmp_path / 'out', checkpoint[0]) == 1  # no match: named
    assert (tmp_path / 'out' / 'a' / 'x.png').exists()
    assert (tmp_path / 'out' / 'b' / 'x.png').exists()


def test_clashing_outputs_are_refused(checkpoint, tmp_path, capsys):
    for sub in ('a', 'b'):
        (tmp_path / sub).mkdir()
        cv2.imwrite(str(tmp_path / sub / 'x.png'), rand((40, 56, 3)))
    assert run([tmp_path / 'a', tmp_path / 'b'], tmp_path / 'out',
               checkpoint[0]) == 1
    assert 'is also the output of' in capsys.readouterr().out


def test_out_is_an_input_folder(checkpoint, tmp_path, capsys):
    cv2.imwrite(str(tmp_path / 'a.png'), rand((40, 56, 3)))
    before = digest(tmp_path)
    assert run([tmp_path], tmp_path, checkpoint[0]) == 2
    assert 'is the input folder' in capsys.readouterr().err
    assert digest(tmp_path) == before


def test_out_inside_the_input_folder_is_not_read_back(checkpoint, tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), rand((40, 56, 3)))
    out = tmp_path / 'deblurred'
    assert run([tmp_path], out, checkpoint[0]) == 0
    assert run([tmp_path], out, checkpoint[0]) == 0
    assert sorted(os.listdir(out)) == [MANIFEST_NAME, 'a.png']
    pattern = osp.join(tmp_path, '**', '*.png')
    assert run([pattern], out, checkpoint[0]) == 0
    assert sorted(os.listdir(out)) == [MANIFEST_NAME, 'a.png']


def test_output_that_would_overwrite_an_input(checkpoint, tmp_path, capsys):
    cv2.imwrite(str(tmp_path / 'a.png'), rand((40, 56, 3)))
    before = digest(tmp_path)
    assert run([tmp_path / 'a.png'], tmp_path, checkpoint[0]) == 1
    assert 'would overwrite an input' in capsys.readouterr().out
    assert digest(tmp_path) == before


def test_checkpoint_that_does_not_fit(tmp_path, capsys):
    torch.manual_seed(0)
    wide = init_model(TINY_CONFIG,
                      cfg_options={'model.generator.head.num_filters': 32,
                                   'model.generator.neck.num_filters': 64})
    bad = tmp_path / 'wide.pth'
    torch.save({'state_dict': {f'generator.{k}': v for k, v in
                               wide.generator.state_dict().items()}}, bad)
    cv2.imwrite(str(tmp_path / 'a.png'), rand((40, 56, 3)))
    assert run([tmp_path / 'a.png'], tmp_path / 'out', str(bad)) == 2
    err = capsys.readouterr().err
    assert 'wide.pth' in err and 'does not fit' in err
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('extra, message', [
    (['--fp16'], '--fp16 needs a CUDA device'),
    (['--tile', '16'], '--tile'),
    (['--tile', '64', '--tile-overlap', '64'], '--tile'),
    (['--batch-size', '0'], '--batch-size'),
    (['--temporal-smoothing', '0'], '--temporal-smoothing must be in (0, 1]'),
    (['--temporal-smoothing', '--temporal-mode', 'stats', '--tile', '64'],
     '--temporal-mode stats and --tile cannot be combined'),
    (['--temporal-mode', 'stats'],
     '--temporal-mode stats does nothing without --temporal-smoothing'),
])
def test_bad_options(checkpoint, tmp_path, capsys, extra, message):
    cv2.imwrite(str(tmp_path / 'a.png'), rand((40, 56, 3)))
    assert run([tmp_path / 'a.png'], tmp_path / 'out', checkpoint[0],
               *extra) == 2
    assert message in capsys.readouterr().err


def test_as_a_subprocess(checkpoint, tmp_path):
    path, model = checkpoint
    img = rand((40, 56, 3))
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    result = subprocess.run(
        [sys.executable, TOOL, str(tmp_path / 'a.png'), '--config',
         TINY_CONFIG, '--checkpoint', path, '--out', str(tmp_path / 'out')],
        capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '1 written' in result.stdout
    assert 'img/s' in result.stderr  # the progress bar
    np.testing.assert_array_equal(
        cv2.imread(str(tmp_path / 'out' / 'a.png')), deblur_image(model, img))


def test_cfg_options_reach_the_model(checkpoint, tmp_path):
    path, model = checkpoint
    img = rand((40, 56, 3))
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    assert run([tmp_path / 'a.png'], tmp_path / 'out', path, '--cfg-options',
               'model.generator.norm_stats=running') == 0
    running = init_model(TINY_CONFIG, path, cfg_options={
        'model.generator.norm_stats': 'running'})
    out = cv2.imread(str(tmp_path / 'out' / 'a.png'))
    np.testing.assert_array_equal(out, deblur_image(running, img))
    assert not np.array_equal(out, deblur_image(model, img))


def test_out_above_the_input_folder(checkpoint, tmp_path):
    # An --out that contains the inputs is fine: nothing below it is skipped.
    (tmp_path / 'blur' / 'sub').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'blur' / 'sub' / 'a.png'), rand((40, 56, 3)))
    assert run([tmp_path / 'blur'], tmp_path, checkpoint[0]) == 0
    assert (tmp_path / 'sub' / 'a.png').exists()
    pattern = osp.join(tmp_path, 'blur', '**', '*.png')
    assert run([pattern], tmp_path / 'globbed', checkpoint[0]) == 0
    assert (tmp_path / 'globbed' / 'sub' / 'a.png').exists()


def test_video_options_sequences_and_a_damaged_input(checkpoint, tmp_path,
                                                     capsys):
    av = pytest.importorskip('av')
    frames = tmp_path / 'shot'
    frames.mkdir()
    for i in range(4):
        cv2.imwrite(str(frames / f'{i}.png'), rand((48, 64, 3), seed=i))
    assert run([frames], tmp_path / 'out', checkpoint[0], '--as-video',
               '--fps', '10', '--codec', 'vp9', '--video-ext', '.webm',
               '--temporal-smoothing') == 0
    with av.open(str(tmp_path / 'out' / 'shot.webm')) as video:
        stream = video.streams.video[0]
        assert stream.codec_context.name in ('vp9', 'libvpx-vp9')
        assert [f.time for f in video.decode(stream)] == [0, .1, .2, .3]
    # A video whose 3rd packet is zeroed: written, but reported as failed.
    src = tmp_path / 'clip.mp4'
    with av.open(str(src), 'w') as out:
        stream = out.add_stream('mjpeg', rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, 'yuvj420p'
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(rand((48, 64, 3), seed=i),
                                               format='bgr24')
            for packet in stream.encode(frame):
                out.mux(packet)
    with av.open(str(src)) as video:
        pos, size = [(p.pos, p.size) for p in video.demux() if p.size][2]
    data = bytearray(src.read_bytes())
    data[pos:pos + size] = bytes(size)
    src.write_bytes(bytes(data))
    capsys.readouterr()
    assert run([src], tmp_path / 'out2', checkpoint[0], '--frames-out') == 1
    printed = capsys.readouterr().out
    assert 'damaged input: 1 of 5 frames could not be decoded' in printed
    assert sorted(os.listdir(tmp_path / 'out2' / 'clip')) == [
        f'{i:06d}.png' for i in (1, 2, 3, 4)]


def test_dtype_bf16_refused_without_native_support(checkpoint, tmp_path,
                                                   capsys, monkeypatch):
    from deblurkit.apis import inference
    path, model = checkpoint
    img = rand((40, 56, 3))
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    monkeypatch.setattr(inference, 'native_bf16', lambda: False)
    assert run([tmp_path / 'a.png'], tmp_path / 'out', path, '--dtype',
               'bf16') == 2
    err = capsys.readouterr().err
    assert '--dtype bf16' in err and 'native bfloat16' in err
    assert 'Traceback' not in err and not (tmp_path / 'out').exists()


@needs_bf16_convolutions
def test_dtype_bf16_runs_where_the_cpu_has_it(checkpoint, tmp_path,
                                              monkeypatch):
    from deblurkit.apis import inference
    path, model = checkpoint
    img = rand((40, 56, 3))
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    monkeypatch.setattr(inference, 'native_bf16', lambda: True)
    assert run([tmp_path / 'a.png'], tmp_path / 'out', path, '--dtype',
               'bf16') == 0
    np.testing.assert_array_equal(
        cv2.imread(str(tmp_path / 'out' / 'a.png')),
        deblur_image(model, img, dtype='bf16'))


def test_dtype_choices():
    base = ['a.png', '--config', TINY_CONFIG, '--checkpoint', 'k', '--out',
            'o']
    assert deblur_tool.parse_args(base).dtype is None
    assert deblur_tool.parse_args(base + ['--dtype', 'fp32']).dtype == 'fp32'
    with pytest.raises(SystemExit):
        deblur_tool.parse_args(base + ['--dtype', 'int8'])
