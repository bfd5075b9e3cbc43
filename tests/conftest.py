"""Shared fixtures: the official DeblurGAN-v2 fixture and its checkpoints."""
import json
import os
import os.path as osp
import sys

import pytest
import torch

DATA = osp.join(osp.dirname(__file__), 'data')
OFFICIAL = osp.join(DATA, 'official')
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _bf16_convolutions():
    from deblurkit.models.generators.fast.onednn import bf16_convolutions
    return bf16_convolutions()


#: For tests that compute bfloat16 convolutions with oneDNN (natively or
#: emulated): an AVX2-only CPU cannot run them at all.
needs_bf16_convolutions = pytest.mark.skipif(
    not _bf16_convolutions(),
    reason='oneDNN cannot run bfloat16 convolutions on this CPU (it has '
    'neither AVX512-BF16/AMX nor AVX-512 BW/VL/DQ / AVX-NE-CONVERT)')

sys.path.insert(0, OFFICIAL)
from make_official_checkpoint import official_state_dict  # noqa: E402

sys.path.pop(0)


@pytest.fixture(scope='session')
def mobilenet_fixture():
    """Key layout, input and official outputs of fpn_mobilenet.h5."""
    return torch.load(
        osp.join(OFFICIAL, 'official_fpn_mobilenet.pt'), weights_only=True)


@pytest.fixture(scope='session')
def official_mobilenet_state(mobilenet_fixture):
    """The state dict of fpn_mobilenet.h5 rebuilt from the fixture."""
    return official_state_dict(mobilenet_fixture)


@pytest.fixture(scope='session')
def official_mobilenet_h5(tmp_path_factory, official_mobilenet_state):
    """An official-format fpn_mobilenet.h5 file."""
    path = tmp_path_factory.mktemp('official') / 'fpn_mobilenet.h5'
    torch.save({'model': official_mobilenet_state}, path)
    return str(path)


@pytest.fixture(scope='session')
def official_inception_state():
    """The state dict of fpn_inception.h5 rebuilt from its key layout."""
    with open(osp.join(OFFICIAL, 'official_fpn_inception_keys.json')) as f:
        return official_state_dict(json.load(f))


@pytest.fixture
def repo_root(monkeypatch):
    """Run from the repository root, as the documented commands do."""
    monkeypatch.chdir(REPO)
    return REPO


def write_gopro_dataset(root, sequences=('seqA', 'seqB'), images=2,
                        size=(72, 88), seed=0):
    """A tiny GoPro-layout dataset: <root>/<seq>/{blur,sharp}/NNNN.png.

    Sharp images are smoothed noise, blurred images a horizontal box blur of
    them, so a model can learn something in a few iterations.
    """
    import cv2
    import numpy as np
    rng = np.random.default_rng(seed)
    for seq in sequences:
        for i in range(images):
            sharp = (rng.random((*size, 3)) * 255).astype(np.uint8)
            sharp = cv2.GaussianBlur(sharp, (3, 3), 0)
            blur = cv2.blur(sharp, (7, 1))
            for kind, img in (('sharp', sharp), ('blur', blur)):
                folder = osp.join(root, seq, kind)
                os.makedirs(folder, exist_ok=True)
                cv2.imwrite(osp.join(folder, f'{i:04d}.png'), img)
    return str(root)


@pytest.fixture(scope='session')
def tiny_gopro(tmp_path_factory):
    """``{'train': root, 'test': root}`` of a tiny GoPro-layout dataset."""
    base = tmp_path_factory.mktemp('gopro')
    return dict(
        train=write_gopro_dataset(base / 'train', images=3, seed=0),
        test=write_gopro_dataset(base / 'test', images=1, seed=1))


def short_run_options(data, **extra):
    """--cfg-options for a seconds-long run of a GoPro config on the CPU."""
    options = {
        'train_dataloader.dataset.data_root': data['train'],
        'val_dataloader.dataset.data_root': data['test'],
        'test_dataloader.dataset.data_root': data['test'],
        'train_dataloader.batch_size': 1,
        'train_dataloader.num_workers': 0,
        'val_dataloader.num_workers': 0,
        'train_cfg.max_iters': 4,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.logger.interval': 1,
        'model.warmup_iters': 2,
        'model.generator.backbone.pretrained': False,
        'model.content_loss.pretrained': False,
        # 64x64 crops instead of 256 (pipeline steps 2 and 3: pad and crop).
        'train_dataloader.dataset.pipeline.2.size': 64,
        'train_dataloader.dataset.pipeline.3.size': 64,
    }
    options.update(extra)
    return options


def as_cli(options):
    """The ``--cfg-options`` arguments for ``options``."""
    return ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]


#: Checkpoint files no tool can use, and the reason each error gives.
UNUSABLE_CHECKPOINTS = {
    'empty': 'is empty (0 bytes)',
    'text': 'is a text file',
    'directory': 'is a directory, not a file',
}


def write_unusable_checkpoint(path, kind):
    """Make ``path`` one of :data:`UNUSABLE_CHECKPOINTS`; returns it."""
    import torch
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'text':
        path.write_text('iter_4000.pth\n')
    elif kind == 'directory':
        path.mkdir()
        torch.save({}, path / 'iter_2.pth')
    else:
        raise ValueError(kind)
    return str(path)


def first_batch(dataloader_cfg):
    """``(len(dataset), first batch)`` of a dataloader config, built in the
    main process."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    cfg = dataloader_cfg.copy()
    cfg.update(num_workers=0, persistent_workers=False)
    with DefaultScope.overwrite_default_scope('deblurkit'):
        loader = Runner.build_dataloader(cfg, seed=0)
    return len(loader.dataset), next(iter(loader))


def _write(path, img):
    import cv2
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), img), path


def _texture_pair(rng, size):
    """A smoothed-noise sharp image and its horizontal box blur (BGR)."""
    import cv2
    import numpy as np
    sharp = cv2.GaussianBlur(
        (rng.random((*size, 3)) * 255).astype(np.uint8), (3, 3), 0)
    return cv2.blur(sharp, (7, 1)), sharp


def write_hide_dataset(root, images=2, size=(64, 64), seed=2):
    """HIDE layout: test/test-close-ups/*.png, test/test-long-shot/*.png
    and their sharp twins flat in GT/."""
    import numpy as np
    rng = np.random.default_rng(seed)
    for i in range(images):
        sub = ('test-close-ups', 'test-long-shot')[i % 2]
        blur, sharp = _texture_pair(rng, size)
        _write(osp.join(root, 'test', sub, f'{i}fromGOPR{i:04d}.png'), blur)
        _write(osp.join(root, 'GT', f'{i}fromGOPR{i:04d}.png'), sharp)
    return str(root)


def write_realblur_dataset(root, letter='J', images=2, size=(64, 64),
                           seed=3):
    """RealBlur layout: RealBlur_<letter>_test_list.txt of "gt blur" lines
    under RealBlur-<letter>_ECC_IMCORR_centroid_itensity_ref/<scene>/."""
    import numpy as np
    rng = np.random.default_rng(seed)
    folder = f'RealBlur-{letter}_ECC_IMCORR_centroid_itensity_ref'
    lines = []
    for i in range(images):
        blur, sharp = _texture_pair(rng, size)
        scene = f'{folder}/scene{230 + i:03d}'
        _write(osp.join(root, scene, 'blur', 'blur_1.png'), blur)
        _write(osp.join(root, scene, 'gt', 'gt_1.png'), sharp)
        lines.append(f'{scene}/gt/gt_1.png {scene}/blur/blur_1.png')
    with open(osp.join(root, f'RealBlur_{letter}_test_list.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(root)


def write_kohler_dataset(root, images=1, kernels=2, frames=3, size=(64, 64),
                         seed=4):
    """Kohler layout: BlurryImages/Blurry<i>_<j>.png and the sharp frames
    GroundTruth/GroundTruth<i>_<j>_<k>.png of each camera path (here the
    scene shifted by k pixels, the blurred photo their mean)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    for i in range(1, images + 1):
        _, sharp = _texture_pair(rng, (size[0] + 8, size[1] + 8))
        for j in range(1, kernels + 1):
            path = [
                sharp[k * j % 5:][:size[0], k % 4:][:, :size[1]]
                for k in range(frames)
            ]
            for k, frame in enumerate(path, 1):
                _write(osp.join(root, 'GroundTruth',
                                f'GroundTruth{i}_{j}_{k}.png'), frame)
            blurred = np.mean(path, axis=0).round().astype(np.uint8)
            _write(osp.join(root, 'BlurryImages', f'Blurry{i}_{j}.png'),
                   blurred)
    return str(root)


def write_dvd_dataset(root, videos=('IMG_0003', 'IMG_0021'), frames=2,
                      size=(64, 64), seed=5):
    """DVD layout: <video>/input/NNNNN.jpg and <video>/GT/NNNNN.jpg."""
    import numpy as np
    rng = np.random.default_rng(seed)
    for video in videos:
        for k in range(frames):
            blur, sharp = _texture_pair(rng, size)
            _write(osp.join(root, video, 'input', f'{k:05d}.jpg'), blur)
            _write(osp.join(root, video, 'GT', f'{k:05d}.jpg'), sharp)
    return str(root)


def write_blurred_folder(root, images=2, size=(64, 64), seed=6):
    """A folder of blurred photos without ground truth (Lai, NFS)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    for i in range(images):
        blur, _ = _texture_pair(rng, size)
        _write(osp.join(root, f'photo{i}.jpg'), blur)
    return str(root)


@pytest.fixture(autouse=True)
def _reset_pixel_budget(monkeypatch):
    """Tools called in-process set the process's pixel budget (and, for
    their data workers, DEBLURKIT_MAX_IMAGE_PIXELS); undo it after each
    test so that one test's --max-pixels does not reach the next."""
    from deblurkit.fileio import set_max_image_pixels
    monkeypatch.delenv('DEBLURKIT_MAX_IMAGE_PIXELS', raising=False)
    set_max_image_pixels(None)
    yield
    set_max_image_pixels(None)


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    """Benchmark tools called in-process set torch's thread count (--threads);
    a different count rounds differently, so restore it for the next test."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _forget_mmengine_loggers():
    """mmengine names a run's logger after its start second and returns the
    existing one for the same name: a tool run in the next test within that
    second would log through handlers bound to this test's (closed)
    captured stderr. Drop the loggers of each test afterwards."""
    yield
    from mmengine.logging import MMLogger
    for logger in list(MMLogger._instance_dict.values()):
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
    MMLogger._instance_dict.clear()


# ------------------------------------------------ deployment (tests/test_deploy)
# A tiny model, its ONNX export, images. Here rather than in a conftest of
# tests/test_deploy: a second module named `conftest` would shadow this one
# for the tests that `from conftest import ...`.
TINY_CONFIG = osp.join(REPO, 'tests', 'data', 'configs',
                       'deblurganv2_tiny.py')


def texture(seed, size=(64, 80)):
    """A smooth, blurred BGR uint8 image (not noise: like a photo)."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (size[0] // 8, size[1] // 8, 3),
                         dtype=np.uint8)
    img = cv2.resize(small, size[::-1], interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(img, (5, 5), 1.5)


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory):
    """A deblurkit checkpoint of the tiny config (per-image statistics)."""
    from deblurkit.apis import init_model
    torch.manual_seed(0)
    model = init_model(TINY_CONFIG)
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    torch.save({'state_dict': {f'generator.{k}': v for k, v in
                               model.generator.state_dict().items()}}, path)
    return path


@pytest.fixture(scope='session')
def tiny_model(tiny_checkpoint):
    from deblurkit.apis import init_model
    return init_model(TINY_CONFIG, tiny_checkpoint)


@pytest.fixture(scope='session')
def tiny_onnx(tmp_path_factory, tiny_model):
    """The tiny generator exported with dynamic batch, height and width."""
    from deblurkit.models.generators.fast.onnx_export import export_onnx
    path = str(tmp_path_factory.mktemp('onnx') / 'tiny.onnx')
    export_onnx(tiny_model.generator, path, (64, 64), dynamic=True)
    return path


@pytest.fixture(scope='session')
def calib_dir(tmp_path_factory):
    """Two calibration images."""
    import cv2
    root = tmp_path_factory.mktemp('calib')
    for i in range(2):
        cv2.imwrite(str(root / f'calib{i}.png'), texture(10 + i))
    return str(root)


@pytest.fixture(scope='session')
def damped_onnx(tmp_path_factory, tiny_checkpoint):
    """The tiny generator with its residual scaled by 0.1, exported: close
    to a trained deblurring network (a small correction of the input),
    where a random one amplifies every rounding error."""
    from deblurkit.apis import init_model
    from deblurkit.models.generators.fast.onnx_export import export_onnx
    generator = init_model(TINY_CONFIG, tiny_checkpoint).generator
    with torch.no_grad():
        generator.head.final.weight.mul_(0.1)
        generator.head.final.bias.mul_(0.1)
    path = str(tmp_path_factory.mktemp('onnx') / 'damped.onnx')
    export_onnx(generator, path, (64, 64), dynamic=True)
    return path


@pytest.fixture(scope='session')
def tiny_int8(tmp_path_factory, damped_onnx, calib_dir):
    """``damped_onnx`` quantised with the two calibration images."""
    from deblurkit.deploy.quantize import quantize_onnx
    path = str(tmp_path_factory.mktemp('int8') / 'damped_int8.onnx')
    info = quantize_onnx(damped_onnx, calib_dir, path)
    assert info['images'] == 2 and not info['skipped']
    return path


def _checkout_outputs():
    """The entries where tools write by default: the checkout's top level
    and its work_dirs/ (``make demo``'s own outputs may already be there)."""
    work_dirs = osp.join(REPO, 'work_dirs')
    return set(os.listdir(REPO)) | {
        f'work_dirs/{name}' for name in (
            os.listdir(work_dirs) if osp.isdir(work_dirs) else ())
    }


@pytest.fixture(autouse=True)
def _nothing_written_into_the_checkout():
    """`make test` leaves the checkout as it was: a test whose tool wrote
    into it (a run without --work-dir from the repository root) fails."""
    before = _checkout_outputs()
    yield
    new = sorted(_checkout_outputs() - before - {'.pytest_cache'})
    assert not new, f'the test wrote into the checkout: {new}'
