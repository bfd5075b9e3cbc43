"""Labels and zoomed crops drawn onto images (comparison pictures)."""
import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
#: The labels of a side-by-side picture's halves (tools/deblur.py
#: --side-by-side, images and videos).
SIDE_BY_SIDE_LABELS = ('blurred', 'deblurred')


def _white(img):
    if np.issubdtype(img.dtype, np.integer):
        return np.iinfo(img.dtype).max
    return 1.0


def label_size(height, width, scale=None):
    """``(font_scale, thickness, padding)`` for a label on an image of
    this size: readable on a thumbnail, not huge on a photograph (or of
    the font scale ``scale``)."""
    if scale is None:
        scale = float(np.clip(min(height, width) / 500, 0.35, 1.6))
    return scale, max(1, round(scale * 1.6)), max(2, round(scale * 6))


def draw_label(img, text, x=0, y=0, scale=None):
    """Write ``text`` in white on a darkened box with its top-left corner
    at ``(x, y)`` of ``img``, in place; returns ``img``.

    ``img``: ``H x W`` or ``H x W x C`` (any channel order: the text is
    white, the box keeps the hue), uint8, uint16 or float in [0, 1]; a fourth
    (alpha) channel becomes opaque under the box. The label is clipped to
    the image. ``scale`` defaults to :func:`label_size` of the image.
    """
    h, w = img.shape[:2]
    font, thick, pad = label_size(h, w, scale)
    (tw, th), base = cv2.getTextSize(text, FONT, font, thick)
    x1, y1 = min(w, x + tw + 2 * pad), min(h, y + th + base + 2 * pad)
    if x1 <= x or y1 <= y:
        return img
    # The text as an 8-bit coverage mask (OpenCV draws text on 8-bit
    # images only), blended in: any dtype, anti-aliased.
    mask = np.zeros((y1 - y, x1 - x), np.uint8)
    cv2.putText(mask, text, (pad, pad + th), FONT, font, 255, thick,
                cv2.LINE_AA)
    box = img[y:y1, x:x1]
    cover = mask.astype(np.float32) / 255
    top = _white(img)
    colour = box[..., :3] if box.ndim == 3 and box.shape[2] == 4 else box
    if colour.ndim == 3:
        cover = cover[..., None]
    colour[...] = (colour * 0.3 * (1 - cover) + top * cover).astype(img.dtype)
    if box.ndim == 3 and box.shape[2] == 4:
        box[..., 3] = top
    return img


def labelled_pair(left, right, labels, axis=1, turns=0):
    """``left`` and ``right`` joined along ``axis`` (1: side by side, 0:
    stacked), each with its label in the top-left corner as the viewer
    sees it: a frame displayed turned by ``turns`` quarter turns
    counter-clockwise gets its label drawn upright in the display.
    ``labels=None`` joins without labels. The inputs are not modified."""
    halves = []
    for img, text in zip((left, right), labels or (None, None)):
        if text is not None:
            upright = np.rot90(img, turns).copy()
            img = np.rot90(draw_label(upright, text), -turns)
        halves.append(img)
    return np.ascontiguousarray(np.concatenate(halves, axis=axis))


def detail_box(gray, size):
    """``(x, y)`` of the ``size x size`` window with the most detail (sum
    of squared gradients) of a 2-D image, away from the border: where a
    zoomed crop shows blur and its removal best."""
    gray = np.asarray(gray, np.float32)
    h, w = gray.shape
    size = min(size, h, w)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1)
    # Mean energy of each window, indexed by its top-left corner.
    energy = cv2.boxFilter(gx * gx + gy * gy, -1, (size, size),
                           anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    energy = energy[:h - size + 1, :w - size + 1]
    y, x = np.unravel_index(int(np.argmax(energy)), energy.shape)
    return int(x), int(y)


def zoom(img, x, y, size, out_size):
    """The ``size x size`` crop at ``(x, y)`` enlarged to ``out_size``
    with nearest-neighbour pixels (no invented detail)."""
    crop = img[y:y + size, x:x + size]
    return cv2.resize(crop, (out_size, out_size),
                      interpolation=cv2.INTER_NEAREST)


def draw_box(img, x, y, size, color, thickness=1):
    """A ``size x size`` rectangle outline at ``(x, y)``, in place."""
    cv2.rectangle(img, (x, y), (x + size - 1, y + size - 1), color,
                  thickness)
    return img
