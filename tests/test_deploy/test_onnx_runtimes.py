"""deblurkit.deploy.runtime: an exported model run by ONNX Runtime and
OpenCV DNN gives the PyTorch path's outputs."""
import numpy as np
import pytest
import torch

from conftest import texture
from deblurkit.apis import deblur_image, deblur_images
from deblurkit.apis.inference import _run_generator
from deblurkit.deploy import init_onnx_model
from deblurkit.evaluation.metrics.psnr import calculate_psnr
from deblurkit.models.generators.fast.onnx_export import export_onnx
from deblurkit.models.layers.temporal_norm import (TemporalNormStats,
                                                   temporal_norm_stats)

pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')

# Sizes that need padding inside the preprocessor (and one that does not).
IMAGES = [texture(1, (64, 80)), texture(2, (50, 71)), texture(3, (96, 64))]


def _opencv_model(path):
    """The OpenCV model, or a skip naming why cv2.dnn cannot load it."""
    try:
        return init_onnx_model(path, 'opencv')
    except (ImportError, ValueError) as err:
        pytest.skip(f'OpenCV DNN cannot run the export: {err}')


@pytest.mark.parametrize('runtime', ['onnxruntime', 'opencv'])
def test_float32_outputs_match_the_pytorch_path(runtime, tiny_model,
                                                tiny_onnx):
    model = (init_onnx_model(tiny_onnx) if runtime == 'onnxruntime' else
             _opencv_model(tiny_onnx))
    assert model.generator.norm_stats == 'per_image'
    # The network's outputs in [0, 1], after the same pad / crop.
    for img in IMAGES:
        tensor = torch.from_numpy(img[..., ::-1] / 255.).permute(
            2, 0, 1).float()
        want = _run_generator(tiny_model, [tensor])[0]
        got = _run_generator(model, [tensor])[0]
        assert got.shape == want.shape == tensor.shape
        assert (got - want).abs().max().item() < 1e-4
    # 8-bit images: equal but for rounding at a few pixels.
    for want, got in zip(deblur_images(tiny_model, IMAGES),
                         deblur_images(model, IMAGES)):
        assert got.shape == want.shape and got.dtype == np.uint8
        diff = np.abs(got.astype(int) - want.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01


def test_tiles_and_batches_run_through_onnx(tiny_model, tiny_onnx):
    model = init_onnx_model(tiny_onnx)
    img = texture(4, (96, 128))
    want = deblur_image(tiny_model, img, tile=64, tile_overlap=16)
    got = deblur_image(model, img, tile=64, tile_overlap=16)
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    same = [IMAGES[0], IMAGES[0][::-1].copy(), IMAGES[0][:, ::-1].copy()]
    one_by_one = [deblur_image(model, img) for img in same]
    for a, b in zip(deblur_images(model, same, batch_size=3), one_by_one):
        assert np.array_equal(a, b)


def test_static_export_names_its_size(tmp_path, tiny_model):
    path = str(tmp_path / 'static.onnx')
    export_onnx(tiny_model.generator, path, (64, 96))
    model = init_onnx_model(path)
    # 64x90 pads to 64x96: it fits; a batch of 2 runs as 2 batches of 1.
    fits = [texture(5, (64, 90)), texture(6, (64, 90))]
    for want, got in zip(deblur_images(tiny_model, fits),
                         deblur_images(model, fits, batch_size=2)):
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    with pytest.raises(ValueError, match=r'exported for 64x96 inputs only.*'
                       r'--dynamic'):
        deblur_image(model, texture(7, (96, 96)))


def test_temporal_smoothing_is_refused(tiny_onnx):
    model = init_onnx_model(tiny_onnx)
    provider = TemporalNormStats(0.1)
    provider.begin_batch([True])
    with temporal_norm_stats(provider), pytest.raises(
            ValueError, match='PyTorch backend'):
        deblur_image(model, IMAGES[0])


def test_bad_files_are_named(tmp_path, tiny_checkpoint):
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        init_onnx_model(str(tmp_path / 'missing.onnx'))
    for runtime in ('onnxruntime', 'opencv'):
        # A PyTorch checkpoint is not an ONNX model.
        with pytest.raises(ValueError, match=r'tiny\.pth.* cannot load'):
            init_onnx_model(tiny_checkpoint, runtime)
    with pytest.raises(ValueError, match='runtime must be one of'):
        init_onnx_model(tiny_checkpoint, 'tensorrt')


def test_opencv_runs_the_int8_model_as_onnxruntime_does(tiny_int8,
                                                        damped_onnx):
    """OpenCV runs the QDQ model with int8 kernels of its own, which round
    differently: as close to float32 as ONNX Runtime's, not equal."""
    model = _opencv_model(tiny_int8)
    fp32 = deblur_images(init_onnx_model(damped_onnx), IMAGES)
    ours = deblur_images(model, IMAGES)
    theirs = deblur_images(init_onnx_model(tiny_int8), IMAGES)
    psnr_cv = np.mean([calculate_psnr(a, b) for a, b in zip(ours, fp32)])
    psnr_ort = np.mean([calculate_psnr(a, b) for a, b in zip(theirs, fp32)])
    assert psnr_cv > 37 and abs(psnr_cv - psnr_ort) < 2
