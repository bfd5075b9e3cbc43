"""CW-SSIM, the SSIM variants and LPIPS against the libraries they
reproduce: numbers recorded by tests/data/metric_references/
make_references.py (pyssim 0.6 + SciPy 1.14.1, scikit-image 0.26.0,
lpips 0.1.4; versions in references.json), and the libraries themselves
where they are importable."""
import importlib.util
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from deblurkit.evaluation import (CWSSIM, LPIPS, SSIM, LPIPSNet,
                                  calculate_cw_ssim, calculate_psnr,
                                  calculate_ssim, pil_grayscale)
from deblurkit.structures import DeblurDataSample

REFS = osp.join(osp.dirname(__file__), '..', '..', 'data', 'metric_references')
sys.path.insert(0, REFS)
from reference_inputs import image_pairs, lpips_weights  # noqa: E402

sys.path.pop(0)

with open(osp.join(REFS, 'references.json')) as f:
    RECORDED = json.load(f)
PAIRS = image_pairs()
TOL = 1e-6


def has(module):
    return importlib.util.find_spec(module) is not None


def pyssim_with_scipy_cwt():
    """pyssim of the scipy.signal.cwt kind (0.4-0.6), if it runs here."""
    if not (has('ssim') and has('scipy')):
        return None
    import scipy.signal
    if not hasattr(scipy.signal, 'cwt'):
        return None
    from ssim import SSIM as PySSIM
    return PySSIM


@pytest.mark.parametrize('name', sorted(PAIRS))
def test_cw_ssim_equals_pyssim(name):
    pred, gt = PAIRS[name]
    value = calculate_cw_ssim(pred, gt)
    assert value == pytest.approx(RECORDED['cw_ssim'][name], abs=TOL)
    # Symmetric, and 1 for identical images.
    assert calculate_cw_ssim(gt, pred) == pytest.approx(value, abs=1e-12)
    assert calculate_cw_ssim(gt, gt) == pytest.approx(1.0, abs=1e-12)
    PySSIM = pyssim_with_scipy_cwt()
    if PySSIM is not None:
        from PIL import Image
        live = PySSIM(Image.fromarray(pred)).cw_ssim_value(
            Image.fromarray(gt))
        assert value == pytest.approx(live, abs=TOL)


def test_pil_grayscale_equals_pillow():
    from PIL import Image
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (64, 256, 3), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(img).convert('L'))
    np.testing.assert_array_equal(pil_grayscale(img), expected)
    # 8-bit levels held in floats convert the same.
    np.testing.assert_array_equal(pil_grayscale(img.astype(np.float64)),
                                  expected)


def test_cw_ssim_metric_and_its_errors():
    pred, gt = PAIRS['noise_32x40']
    ds = DeblurDataSample(metainfo=dict(key='a'))
    ds.pred_img = torch.from_numpy(pred.transpose(2, 0, 1) / 255.)
    ds.gt_img = torch.from_numpy(gt.transpose(2, 0, 1) / 255.)
    metric = CWSSIM()
    metric.process({}, [ds])
    assert metric.compute_metrics(metric.results) == {
        'CW-SSIM': pytest.approx(RECORDED['cw_ssim']['noise_32x40'],
                                 abs=TOL)
    }
    with pytest.raises(ValueError, match='differ in shape'):
        calculate_cw_ssim(pred, gt[:20])
    with pytest.raises(ValueError, match='width'):
        CWSSIM(width=0)


VARIANTS = {
    'mmagic': 'skimage_gaussian_population',
    'skimage_gaussian': 'skimage_gaussian',
    'skimage_default': 'skimage_default',
}


def skimage_call(variant, pred, gt):
    from skimage.metrics import structural_similarity
    kwargs = dict(channel_axis=2, data_range=255)
    if variant == 'mmagic':
        kwargs.update(gaussian_weights=True, sigma=1.5,
                      use_sample_covariance=False)
    elif variant == 'skimage_gaussian':
        kwargs.update(gaussian_weights=True)
    return structural_similarity(pred, gt, **kwargs)


@pytest.mark.parametrize('variant', sorted(VARIANTS))
@pytest.mark.parametrize('name', sorted(PAIRS))
def test_ssim_variants_equal_scikit_image(variant, name):
    pred, gt = PAIRS[name]
    value = calculate_ssim(pred, gt, variant=variant)
    assert value == pytest.approx(
        RECORDED['ssim'][name][VARIANTS[variant]], abs=TOL)
    if has('skimage'):
        assert value == pytest.approx(
            skimage_call(variant, pred, gt), abs=TOL)


def test_ssim_variants_differ_and_are_selectable_by_name():
    pred, gt = PAIRS['shift_40x64']
    values = {v: calculate_ssim(pred, gt, variant=v) for v in VARIANTS}
    assert len({round(v, 6) for v in values.values()}) == 3
    metric = SSIM(variant='skimage_default')
    assert metric.score(pred.astype(np.float64), gt.astype(
        np.float64)) == pytest.approx(values['skimage_default'])
    assert "variant='skimage_default'" in repr(metric)
    with pytest.raises(ValueError, match='variant must be one of'):
        SSIM(variant='matlab')
    with pytest.raises(ValueError, match='at least 7x7'):
        calculate_ssim(pred[:6], gt[:6], variant='skimage_default')


def torch_state(state):
    return {k: torch.from_numpy(v) for k, v in state.items()}


def lpips_package_model(net, backbone, linear):
    sys.path.insert(0, REFS)
    try:
        from make_references import lpips_reference
    finally:
        sys.path.pop(0)
    return lpips_reference(net, backbone, linear)


@pytest.mark.parametrize('net', ['alex', 'vgg'])
def test_lpips_equals_the_lpips_package(net, tmp_path):
    backbone, linear = lpips_weights(net)
    if net == 'alex':  # through files, as a user supplies them
        torch.save(torch_state(backbone), tmp_path / 'backbone.pth')
        torch.save(torch_state(linear), tmp_path / 'linear.pth')
        metric = LPIPS(net=net, backbone_weights=str(tmp_path / 'backbone.pth'),
                       linear_weights=str(tmp_path / 'linear.pth'))
    else:
        metric = LPIPS(net=net, backbone_weights=torch_state(backbone),
                       linear_weights=torch_state(linear))
    recorded = RECORDED['lpips'][net]
    assert recorded
    live = None
    if has('lpips'):
        live = lpips_package_model(net, backbone, linear)
    # VGG16 is slow on a CPU: one pair is enough for it.
    names = sorted(recorded)[:1 if net == 'vgg' else None]
    for name in names:
        expected = recorded[name]
        pred, gt = PAIRS[name]
        value = metric.score(pred.astype(np.float64), gt.astype(np.float64))
        assert value == pytest.approx(expected, abs=TOL)
        if live is not None:
            import lpips
            assert value == pytest.approx(
                live(lpips.im2tensor(pred), lpips.im2tensor(gt)).item(),
                abs=TOL)
    same = metric.score(gt.astype(np.float64), gt.astype(np.float64))
    assert same == 0


def test_lpips_says_where_missing_weights_go(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        LPIPSNet('alex', linear_weights=torch_state(lpips_weights('alex')[1]))
    message = str(info.value)
    assert 'alexnet-owt-7be5be79.pth' in message
    assert osp.join(str(tmp_path), 'checkpoints') in message
    assert 'backbone_weights=' in message
    with pytest.raises(FileNotFoundError, match='linear_weights='):
        LPIPSNet('alex',
                 backbone_weights=torch_state(lpips_weights('alex')[0]),
                 linear_weights=str(tmp_path / 'nowhere.pth'))
    with pytest.raises(ValueError, match='net must be one of'):
        LPIPSNet('squeeze')


@pytest.mark.parametrize('name', sorted(PAIRS))
def test_masked_scores_equal_realblurs_scoring(name):
    """PSNR and SSIM over an overlap mask, as RealBlur's evaluation scores a
    registered pair (recorded with scikit-image by make_references.py)."""
    sys.path.insert(0, REFS)
    from reference_inputs import overlap_mask
    sys.path.pop(0)
    pred, gt = PAIRS[name]
    mask = overlap_mask(*gt.shape[:2])
    a, b = pred * mask, gt * mask
    expected = RECORDED['realblur_masked'][name]
    assert calculate_psnr(a, b, mask=mask) == pytest.approx(
        expected['PSNR'], abs=TOL)
    assert calculate_ssim(a, b, mask=mask) == pytest.approx(
        expected['SSIM'], abs=TOL)


@pytest.mark.skipif(not has('lpips'), reason='the lpips package is not '
                    'installed')
def test_lpips_finds_the_packages_linear_weights():
    """With lpips installed, its shipped linear layers are found and give
    the package's numbers (backbone made for the test: no download)."""
    backbone, _ = lpips_weights('alex')
    ours = LPIPSNet('alex', backbone_weights=torch_state(backbone))
    import lpips
    theirs = lpips_package_model('alex', backbone, {
        k: v.cpu().numpy()
        for k, v in torch.load(
            osp.join(osp.dirname(lpips.__file__), 'weights', 'v0.1',
                     'alex.pth'), map_location='cpu',
            weights_only=True).items()
    })
    x = torch.from_numpy(PAIRS['gain_64x64'][0].transpose(2, 0, 1)[None] /
                         127.5 - 1).float()
    y = torch.from_numpy(PAIRS['gain_64x64'][1].transpose(2, 0, 1)[None] /
                         127.5 - 1).float()
    assert float(ours(x, y)[0]) == pytest.approx(
        float(theirs(x, y).detach()), abs=TOL)
