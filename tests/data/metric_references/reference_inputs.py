"""The inputs on which reference libraries were run (``make_references.py``)
and on which the tests compare deblurkit with them: deterministic 8-bit
image pairs and LPIPS weights made from NumPy's PCG64 generator, so that
both sides rebuild exactly the same arrays anywhere."""
import numpy as np


def _smooth(rng, h, w, blur):
    import cv2
    img = (rng.random((h, w, 3)) * 255).astype(np.float32)
    img = cv2.GaussianBlur(img, (0, 0), blur)
    img = (img - img.min()) / (img.max() - img.min() + 1e-6) * 255
    return img


def image_pairs():
    """``{name: (pred, gt)}``: uint8 ``H x W x 3`` pairs of several sizes
    and kinds (noise, smooth texture, shift, blur, gain)."""
    import cv2
    rng = np.random.default_rng(20240611)
    pairs = {}
    gt = (rng.random((32, 40, 3)) * 255).astype(np.uint8)
    noisy = np.clip(gt.astype(int) + rng.integers(-25, 26, gt.shape), 0, 255)
    pairs['noise_32x40'] = (noisy.astype(np.uint8), gt)
    gt = _smooth(rng, 48, 36, 2.0).astype(np.uint8)
    pairs['blur_48x36'] = (cv2.blur(gt, (5, 1)), gt)
    gt = _smooth(rng, 40, 64, 1.0).astype(np.uint8)
    pairs['shift_40x64'] = (np.roll(gt, (1, 2), axis=(0, 1)), gt)
    gt = _smooth(rng, 64, 64, 1.5).astype(np.uint8)
    darker = np.clip(gt * 0.8 + rng.normal(0, 4, gt.shape), 0, 255)
    pairs['gain_64x64'] = (darker.astype(np.uint8), gt)
    gt = _smooth(rng, 64, 80, 0.7).astype(np.uint8)
    noisy = np.clip(gt.astype(int) + rng.integers(-40, 41, gt.shape), 0, 255)
    pairs['noise_64x80'] = (noisy.astype(np.uint8), gt)
    return pairs


def overlap_mask(h, w):
    """``H x W x 3`` float mask of an imagined registration: zero along the
    left and bottom edges (the warp's empty border) and in one corner."""
    mask = np.ones((h, w, 3))
    mask[:, :3] = 0
    mask[-2:] = 0
    mask[:6, -9:] = 0
    return mask


def lpips_weights(net):
    """Test-made LPIPS weights: ``(backbone, linear)`` state dicts of
    NumPy arrays, in torchvision's (``features.<i>.weight``) and the
    ``lpips`` package's (``lin<l>.model.1.weight``) key layouts."""
    if net == 'alex':
        convs = {0: (64, 3, 11), 3: (192, 64, 5), 6: (384, 192, 3),
                 8: (256, 384, 3), 10: (256, 256, 3)}
        channels = (64, 192, 384, 256, 256)
    else:
        plan = [(0, 64, 3), (2, 64, 64), (5, 128, 64), (7, 128, 128),
                (10, 256, 128), (12, 256, 256), (14, 256, 256),
                (17, 512, 256), (19, 512, 512), (21, 512, 512),
                (24, 512, 512), (26, 512, 512), (28, 512, 512)]
        convs = {i: (o, c, 3) for i, o, c in plan}
        channels = (64, 128, 256, 512, 512)
    rng = np.random.default_rng(7 if net == 'alex' else 16)
    backbone = {}
    for index, (out, inp, k) in convs.items():
        std = np.sqrt(2.0 / (inp * k * k))
        backbone[f'features.{index}.weight'] = (
            rng.standard_normal((out, inp, k, k)) * std).astype(np.float32)
        backbone[f'features.{index}.bias'] = (
            rng.standard_normal(out) * 0.05).astype(np.float32)
    linear = {
        f'lin{i}.model.1.weight':
        (rng.random((1, c, 1, 1)) * 0.2).astype(np.float32)
        for i, c in enumerate(channels)
    }
    return backbone, linear
