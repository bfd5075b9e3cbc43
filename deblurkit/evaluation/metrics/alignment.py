"""Aligning a prediction to its ground truth before scoring it, as the
RealBlur and Kohler benchmarks do (their sharp and blurred images come from
real cameras and are not pixel-aligned)."""
from dataclasses import dataclass

import cv2
import numpy as np

#: What each benchmark's evaluation code registers the prediction with.
MOTIONS = dict(homography=cv2.MOTION_HOMOGRAPHY,
               translation=cv2.MOTION_TRANSLATION)


@dataclass
class Alignment:
    """A prediction registered to its ground truth.

    Attributes:
        pred (np.ndarray): ``H x W x C`` float64 0-255, the warped and
            intensity-scaled prediction, zero outside the overlap.
        gt (np.ndarray): The ground truth, zero outside the overlap.
        mask (np.ndarray): ``H x W x C`` float64, 1 inside the overlap.
        converged (bool): False if the registration failed; then ``pred``
            and ``gt`` are the unaligned images (on their common top-left
            area) and ``mask`` is all ones.
        message (str): Why it failed, '' otherwise.
    """
    pred: np.ndarray
    gt: np.ndarray
    mask: np.ndarray
    converged: bool = True
    message: str = ''


def _common_area(pred, gt):
    h = min(pred.shape[0], gt.shape[0])
    w = min(pred.shape[1], gt.shape[1])
    return pred[:h, :w], gt[:h, :w]


def _unaligned(pred, gt, message):
    pred, gt = _common_area(pred, gt)
    return Alignment(
        pred.astype(np.float64), gt.astype(np.float64),
        np.ones(gt.shape, np.float64), False, message)


def _gray(img):
    return img[..., 0] if img.shape[2] == 1 else cv2.cvtColor(
        img, cv2.COLOR_RGB2GRAY)


def align_to_reference(pred, gt, motion='homography', iterations=100,
                       gauss_filt_size=5):
    """Register ``pred`` to ``gt`` the way RealBlur's evaluation does.

    1. Intensity matching: ``pred`` is multiplied by
       ``sum(gt * pred) / sum(pred * pred)`` (the least-squares gain),
       computed on all channels (on the common top-left area when the sizes
       differ).
    2. ECC registration (``cv2.findTransformECC``) of the gray scaled
       prediction to the gray ground truth: a homography (RealBlur) or a
       translation (Kohler), starting from the identity, ``iterations``
       iterations with no early stop, Gaussian pre-smoothing of 5.
    3. The scaled prediction is warped onto the ground truth's grid
       (bicubic, reflected borders); the overlap mask is a warped image of
       ones (nearest neighbour, zero outside). Prediction and ground truth
       are multiplied by the mask, so that scores can be taken over the
       overlap only.

    Images are handled in float32 in [0, 1], as RealBlur's code does.
    A registration that fails (OpenCV gives up, or the warp is degenerate)
    returns the unaligned pair with ``converged=False``; callers report it
    and score the pair unaligned.

    Args:
        pred (np.ndarray): ``H x W x C`` prediction, 0-255 (8-bit levels).
        gt (np.ndarray): ``H' x W' x C`` ground truth, 0-255; may differ in
            size from ``pred`` (the warp maps ``pred`` onto ``gt``'s grid).
        motion (str): ``'homography'`` or ``'translation'``.
        iterations (int): ECC iterations. Defaults to 100 (RealBlur).
        gauss_filt_size (int): ECC's Gaussian pre-filter. Defaults to 5.

    Returns:
        Alignment: The registered pair and its mask.
    """
    if motion not in MOTIONS:
        raise ValueError(f'align_to_reference: motion must be one of '
                         f'{sorted(MOTIONS)}, got {motion!r}.')
    pred = np.asarray(pred, np.float32) / 255
    gt = np.asarray(gt, np.float32) / 255
    if pred.ndim == 2:
        pred, gt = pred[..., None], gt[..., None]
    if pred.shape[2] != gt.shape[2]:
        raise ValueError(f'align_to_reference: the prediction has '
                         f'{pred.shape[2]} channel(s), the ground truth '
                         f'{gt.shape[2]}.')
    z, x = _common_area(pred, gt)
    energy = float(np.sum(z.astype(np.float64)**2))
    if energy == 0:
        return _unaligned(pred * 255, gt * 255,
                          'the prediction is black, nothing to align')
    gain = float(np.sum(x.astype(np.float64) * z)) / energy
    scaled = (pred * gain).astype(np.float32)

    warp = np.eye(3 if motion == 'homography' else 2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations,
                0)
    try:
        _, warp = cv2.findTransformECC(
            _gray(gt), _gray(scaled), warp, MOTIONS[motion], criteria, None,
            gauss_filt_size)
    except cv2.error as e:
        reason = str(e).strip().splitlines()[-1]
        return _unaligned(pred * 255, gt * 255,
                          f'ECC did not converge ({reason})')
    if not np.all(np.isfinite(warp)):
        return _unaligned(pred * 255, gt * 255, 'ECC gave a non-finite warp')

    h, w = gt.shape[:2]
    flags = cv2.WARP_INVERSE_MAP
    if motion == 'homography':
        def apply(img, interp, border):
            return cv2.warpPerspective(
                img, warp, (w, h), flags=interp + flags, borderMode=border,
                borderValue=0)
    else:
        def apply(img, interp, border):
            return cv2.warpAffine(
                img, warp, (w, h), flags=interp + flags, borderMode=border,
                borderValue=0)

    warped = apply(scaled, cv2.INTER_CUBIC, cv2.BORDER_REFLECT)
    mask = apply(np.ones_like(scaled), cv2.INTER_NEAREST,
                 cv2.BORDER_CONSTANT)
    warped = warped.reshape(h, w, -1)
    mask = mask.reshape(h, w, -1)
    if mask.sum() == 0:
        return _unaligned(pred * 255, gt * 255,
                          'the aligned prediction does not overlap the '
                          'ground truth')
    mask = mask.astype(np.float64)
    return Alignment(warped.astype(np.float64) * mask * 255,
                     gt.astype(np.float64) * mask * 255, mask)
