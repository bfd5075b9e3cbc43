"""deblur_image / deblur_images: layouts, dtypes and batching."""
import cv2
import numpy as np
import pytest
import torch

from deblurkit.apis import deblur_image, deblur_images
from deblurkit.apis.inference import _run_generator
from deblurkit.runtime import fast_inference
from deblurkit.structures import DeblurDataSample
from tiny_deblur_model import tiny_model  # noqa: F401  (fixture)


def rand(shape, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True,
                        dtype=dtype)


def reference(model, bgr):
    """The network on the RGB version of a uint8 BGR image, by hand."""
    rgb = torch.from_numpy(bgr[..., ::-1] / 255.).float().permute(2, 0, 1)
    with torch.no_grad():
        padded = torch.nn.functional.pad(
            rgb[None] * 2 - 1, (0, -rgb.shape[2] % 32, 0, -rgb.shape[1] % 32),
            mode='reflect')
        out = model.generator(padded)[0, :, :rgb.shape[1], :rgb.shape[2]]
    out = ((out + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy()[..., ::-1]
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)


def assert_matches_reference(model, img, out):
    """The fast path rounds like the plain generator but for a few pixels
    sitting on a rounding boundary; with it switched off the match is
    exact."""
    expected = reference(model, img)
    diff = np.abs(out.astype(int) - expected.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01
    with fast_inference(False):
        np.testing.assert_array_equal(deblur_image(model, img), expected)


def test_bgr_uint8_matches_the_network_by_hand(tiny_model):
    img = rand((40, 56, 3))
    out = deblur_image(tiny_model, img)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert_matches_reference(tiny_model, img, out)
    assert not np.array_equal(out, img)  # the network did something


def test_odd_size(tiny_model):
    img = rand((33, 51, 3))
    out = deblur_image(tiny_model, img)
    assert out.shape == (33, 51, 3)
    assert_matches_reference(tiny_model, img, out)


@pytest.mark.parametrize('shape', [(40, 56), (40, 56, 1)])
def test_gray_is_the_mean_of_the_gray_rgb_output(tiny_model, shape):
    img = rand(shape)
    out = deblur_image(tiny_model, img)
    assert out.shape == shape and out.dtype == np.uint8
    gray3 = cv2.cvtColor(img.reshape(40, 56), cv2.COLOR_GRAY2BGR)
    pred = _run_generator(
        tiny_model,
        [torch.from_numpy(gray3 / 255.).float().permute(2, 0, 1)])[0]
    expected = np.rint(pred.mean(0).numpy() * 255).astype(np.uint8)
    np.testing.assert_array_equal(out.reshape(40, 56), expected)


def test_alpha_is_passed_through_bit_exactly(tiny_model):
    img = rand((40, 56, 4), seed=1)
    out = deblur_image(tiny_model, img)
    assert out.shape == img.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 3], img[..., 3])
    np.testing.assert_array_equal(
        out[..., :3], deblur_image(tiny_model, img[..., :3].copy()))


def test_uint16_in_uint16_out(tiny_model):
    img16 = rand((40, 56, 3), np.uint16)
    out16 = deblur_image(tiny_model, img16)
    assert out16.dtype == np.uint16 and out16.shape == img16.shape
    # Scaled by 65535 in and out: the float path on img16 / 65535 agrees.
    as_float = deblur_image(tiny_model, img16.astype(np.float32) / 65535)
    np.testing.assert_array_equal(
        out16, np.rint(as_float * np.float32(65535)))
    assert out16.max() > 255


def test_float_input_gives_float_output(tiny_model):
    img = rand((40, 56, 3))
    out = deblur_image(tiny_model, img.astype(np.float32) / 255)
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    np.testing.assert_allclose(out * 255, deblur_image(tiny_model, img),
                               atol=0.51)


def test_path_input(tiny_model, tmp_path):
    img = rand((40, 56, 3))
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    np.testing.assert_array_equal(
        deblur_image(tiny_model, str(tmp_path / 'a.png')),
        deblur_image(tiny_model, img))


def test_batching_does_not_change_results(tiny_model):
    imgs = [rand((40, 56, 3), seed=s) for s in range(3)] + [
        rand((33, 51, 3), seed=5), rand((40, 56), seed=6)]
    single = [deblur_image(tiny_model, img) for img in imgs]
    batched = deblur_images(tiny_model, imgs, batch_size=4)
    for a, b in zip(single, batched):
        assert a.shape == b.shape
        # Same-size images share a forward pass; per-image statistics keep
        # them independent up to float summation order.
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


@pytest.mark.parametrize('bad, error', [
    (np.zeros((40, 56, 2), np.uint8), ValueError),
    (np.zeros((2, 40, 56, 3), np.uint8), ValueError),
    (np.zeros((40, 56, 3), np.int32), TypeError),
    ([[1, 2]], TypeError),
    (np.zeros((20, 30, 3), np.uint8), ValueError),  # too small
])
def test_bad_arrays_are_refused(tiny_model, bad, error):
    with pytest.raises(error):
        deblur_image(tiny_model, bad)


def test_bad_options_are_refused(tiny_model):
    img = rand((40, 56, 3))
    with pytest.raises(ValueError, match='batch_size'):
        deblur_images(tiny_model, [img], batch_size=0)
    with pytest.raises(ValueError, match='tile'):
        deblur_image(tiny_model, img, tile=16)
    with pytest.raises(ValueError, match='tile_overlap'):
        deblur_image(tiny_model, img, tile=64, tile_overlap=64)
    with pytest.raises(ValueError, match='CUDA'):
        deblur_image(tiny_model, img, fp16=True)


def test_the_model_and_the_api_share_one_round_trip(tiny_model):
    # tools/test.py (the model's test_step) and deblurkit.apis pad, crop
    # and map back through the same preprocessor: the same bits.
    img = torch.rand(3, 45, 70, generator=torch.Generator().manual_seed(3))
    with fast_inference(False):
        api = _run_generator(tiny_model, [img])[0]
    with torch.no_grad():
        sample = tiny_model.test_step(
            dict(inputs=[img], data_samples=[DeblurDataSample()]))[0]
    assert sample.pred_img.shape == (3, 45, 70)
    assert torch.equal(sample.pred_img, api)
    torch.testing.assert_close(sample.input_img, img, atol=1e-6, rtol=0)
