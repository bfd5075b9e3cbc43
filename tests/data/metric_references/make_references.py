"""Write references.json: what the reference libraries give on the pairs
of reference_inputs.py. Needs, besides deblurkit's requirements:

    pip install --target /tmp/refsite --no-deps pyssim==0.6 scipy==1.14.1 \
        scikit-image==0.26.0 lazy_loader imageio tifffile lpips==0.1.4
    PYTHONPATH=/tmp/refsite python tests/data/metric_references/make_references.py

pyssim 0.4-0.6 compute CW-SSIM with scipy.signal.cwt / scipy.signal.ricker,
which SciPy 1.15 removed (1.14.1 is the last with them); pyssim 0.7 uses
PyWavelets' 'mexh' instead, a different definition. The test suite needs
none of these; it compares with the recorded numbers (and with the
libraries themselves when they are importable).
"""
import json
import os.path as osp
import sys

import numpy as np

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, HERE)
from reference_inputs import image_pairs, lpips_weights, overlap_mask  # noqa


def lpips_reference(net, backbone, linear):
    """An ``lpips.LPIPS`` with the test-made weights loaded."""
    import lpips
    import torch
    model = lpips.LPIPS(pretrained=False, net=net, pnet_rand=True,
                        verbose=False)
    taps = (2, 5, 8, 10, 12) if net == 'alex' else (4, 9, 16, 23, 30)
    state = {}
    for key, value in backbone.items():
        index = int(key.split('.')[1])
        tap = next(i for i, end in enumerate(taps) if index < end)
        state[f'net.slice{tap + 1}.{key[len("features."):]}'] = value
    state.update(linear)
    missing = model.load_state_dict(
        {k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    assert not [k for k in missing.missing_keys
                if not k.startswith(('scaling_layer', 'lins.'))], missing
    return model.eval()


def main():
    import PIL
    import scipy
    import skimage
    import torch
    from PIL import Image
    from skimage.metrics import structural_similarity
    from ssim import SSIM as PySSIM
    import lpips
    from importlib.metadata import version

    pairs = image_pairs()
    out = dict(
        versions=dict(pyssim=version('pyssim'), scipy=scipy.__version__,
                      pillow=PIL.__version__,
                      scikit_image=skimage.__version__,
                      lpips=version('lpips'), torch=torch.__version__,
                      numpy=np.__version__),
        cw_ssim={}, ssim={}, lpips={})
    for name, (pred, gt) in pairs.items():
        out['cw_ssim'][name] = float(
            PySSIM(Image.fromarray(pred)).cw_ssim_value(Image.fromarray(gt)))
        out['ssim'][name] = dict(
            skimage_gaussian_population=float(structural_similarity(
                pred, gt, channel_axis=2, data_range=255,
                gaussian_weights=True, sigma=1.5,
                use_sample_covariance=False)),
            skimage_gaussian=float(structural_similarity(
                pred, gt, channel_axis=2, data_range=255,
                gaussian_weights=True)),
            skimage_default=float(structural_similarity(
                pred, gt, channel_axis=2, data_range=255)))
    # RealBlur's scoring of a registered pair, as its evaluation describes
    # it: images in [0, 1] multiplied by the overlap mask; PSNR from the
    # squared error summed over the image and divided by the mask's sum;
    # SSIM from scikit-image's full Gaussian map (population covariance,
    # data_range 1) times the mask, 5-pixel border dropped, summed per
    # channel over the mask's sum, averaged over channels.
    out['realblur_masked'] = {}
    for name, (pred, gt) in pairs.items():
        mask = overlap_mask(*gt.shape[:2])
        z = pred.astype(np.float64) / 255 * mask
        x = gt.astype(np.float64) / 255 * mask
        err = np.sum((x - z)**2) / np.sum(mask)
        _, ssim_map = structural_similarity(
            x, z, channel_axis=2, gaussian_weights=True,
            use_sample_covariance=False, data_range=1.0, full=True)
        ssim_map = (ssim_map * mask)[5:-5, 5:-5]
        per_channel = ssim_map.sum(axis=(0, 1)) / mask[5:-5, 5:-5].sum(
            axis=(0, 1))
        out['realblur_masked'][name] = dict(
            PSNR=float(10 * np.log10(1 / err)),
            SSIM=float(np.mean(per_channel)))
    for net in ('alex', 'vgg'):
        model = lpips_reference(net, *lpips_weights(net))
        out['lpips'][net] = {}
        for name, (pred, gt) in pairs.items():
            if min(gt.shape[:2]) < 64:
                continue  # the VGG taps need 64 px; keep both on the same
            a = lpips.im2tensor(pred)
            b = lpips.im2tensor(gt)
            out['lpips'][net][name] = float(model(a, b).item())
    with open(osp.join(HERE, 'references.json'), 'w') as f:
        json.dump(out, f, indent=2)
        f.write('\n')
    print(json.dumps(out, indent=2))


if __name__ == '__main__':
    main()
