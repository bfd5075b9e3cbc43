"""Procedural sharp images with natural-image statistics (dead leaves).

The dead-leaves model (Matheron; Lee, Mumford & Huang 2001) stacks random
occluding shapes whose sizes follow a power law ``p(r) ~ r**-power``. With
``power`` near 3 the picture looks the same at every scale, and its power
spectrum falls as ``1/f**2``, like a photograph's. Occlusion gives what
deblurring is about: sharp edges at every scale, T-junctions, thin
slivers.

On top of the classic model, to look more like photographs:

- leaves are discs, ellipses, rotated rectangles and polygons, filled with
  a flat colour, a smooth gradient, sinusoidal stripes, or a 1/f noise
  texture (grass, bark, fabric);
- colours come from a small per-image palette drawn in CIELAB, mostly
  low-chroma, with varied lightness (scenes have a few dominant hues);
- a few thin structures (lines, curves, text) that a deblurrer must keep
  crisp and that blur smears most;
- sometimes the leaves drawn so far are defocused (a soft background
  behind sharp foreground: not every edge of a photo is a step edge);
- a smooth shading field (illumination), and a contrast stretch so the
  image spans nearly the full value range.
"""
import cv2
import numpy as np

__all__ = ['dead_leaves_image']

# Fixed-point bits for OpenCV's drawing calls: sub-pixel shape positions.
_SHIFT = 4
_ONE = 1 << _SHIFT
_SHAPES = ('disc', 'ellipse', 'rectangle', 'polygon')
_SHAPE_PROBS = (0.35, 0.15, 0.25, 0.25)
_TEXTURES = ('flat', 'gradient', 'stripes', 'noise')
_TEXTURE_PROBS = (0.4, 0.2, 0.15, 0.25)
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN,
          cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
          cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)
_GLYPHS = np.array(list('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
                        '0123456789     .,-:/'))
# Leaves below this radius get a flat fill: a texture would not show.
_MIN_TEXTURED_RADIUS = 4.0


def _fixed(value):
    """Coordinates in OpenCV's fixed-point format (``_SHIFT`` bits)."""
    return np.round(np.asarray(value) * _ONE).astype(np.int32)


def _power_law(rng, count, power, low, high):
    """``count`` radii with density ``~ r**-power`` on ``[low, high]``."""
    u = rng.random(count)
    if abs(power - 1) < 1e-6:
        return low * (high / low)**u
    a, b = low**(1 - power), high**(1 - power)
    return (a + u * (b - a))**(1 / (1 - power))


def _mean_square(power, low, high):
    """E[r**2] under the density ``~ r**-power`` on ``[low, high]``."""

    def integral(k):  # of r**(k - power) over [low, high]
        e = k - power + 1
        if abs(e) < 1e-6:
            return np.log(high / low)
        return (high**e - low**e) / e

    return integral(2) / integral(0)


def _noise_field(shape, beta, rng):
    """Noise with power spectrum ``1/f**beta``, scaled to [0, 1].

    Args:
        shape (tuple[int, int]): ``(H, W)``.
        beta (float): Spectral exponent (2 is natural, larger is smoother).
        rng (np.random.Generator): Source of randomness.

    Returns:
        np.ndarray: ``(H, W)`` float32.
    """
    height, width = shape
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    radius = np.sqrt(fx**2 + fy**2)
    radius[0, 0] = 1.0
    spectrum = np.fft.rfft2(rng.standard_normal(shape)) * radius**(-beta / 2)
    spectrum[0, 0] = 0.0
    field = np.fft.irfft2(spectrum, s=shape)
    lo, hi = np.percentile(field, (1, 99))
    return np.clip((field - lo) / max(hi - lo, 1e-8), 0, 1).astype(np.float32)


def _natural_palette(rng, count):
    """``count`` sRGB colours drawn in CIELAB like a photograph's.

    Lightness spans the whole range; chroma is mostly low (natural scenes
    are dominated by greys, browns, greens, sky blues), with a per-image
    colourfulness so that some images are muted and some vivid.

    Returns:
        np.ndarray: ``(count, 3)`` float32 RGB in [0, 1].
    """
    colourfulness = rng.uniform(8, 45)
    lightness = 100 * rng.beta(1.2, 1.2, count)
    chroma = colourfulness * rng.exponential(1.0, count)
    hue = rng.uniform(0, 2 * np.pi, count)
    lab = np.stack([lightness, chroma * np.cos(hue), chroma * np.sin(hue)],
                   axis=1).astype(np.float32)
    rgb = cv2.cvtColor(lab[None], cv2.COLOR_Lab2RGB)[0]
    return np.clip(rgb, 0, 1)


class _Painter:
    """Draws leaves onto a float32 RGB canvas, one region at a time.

    Shapes are drawn as anti-aliased 8-bit masks (OpenCV only
    anti-aliases 8-bit images) in the shape's bounding box, then the fill
    is blended in with the mask as alpha.
    """

    def __init__(self, size, rng):
        self.height, self.width = size
        self.rng = rng
        self.canvas = np.empty((self.height, self.width, 3), np.float32)
        self.palette = _natural_palette(rng, int(rng.integers(3, 9)))
        # Twice the image size so a leaf can take its texture from a random
        # window, not the same patch as its neighbours.
        big = (2 * self.height, 2 * self.width)
        self.textures = [
            _noise_field(big, rng.uniform(1.0, 2.0), rng),
            _noise_field(big, rng.uniform(2.0, 3.0), rng)
        ]

    def colour(self):
        """A palette colour with some variation in lightness and tint."""
        base = self.palette[self.rng.integers(len(self.palette))]
        jitter = np.exp(self.rng.normal(0, 0.2)) + self.rng.normal(0, 0.02, 3)
        return np.clip(base * jitter, 0, 1).astype(np.float32)

    def second_colour(self, first):
        """The other end of a gradient or texture: same hue or another."""
        if self.rng.random() < 0.5:
            return self.colour()
        return np.clip(first * np.exp(self.rng.normal(0, 0.5)), 0,
                       1).astype(np.float32)

    def box(self, cx, cy, reach):
        """Bounding box ``(x0, y0, x1, y1)`` clipped to the canvas."""
        x0 = max(int(np.floor(cx - reach)) - 1, 0)
        y0 = max(int(np.floor(cy - reach)) - 1, 0)
        x1 = min(int(np.ceil(cx + reach)) + 2, self.width)
        y1 = min(int(np.ceil(cy + reach)) + 2, self.height)
        return x0, y0, x1, y1

    def blend(self, box, mask, fill):
        """Composite ``fill`` (``(3,)`` or ``(h, w, 3)``) under ``mask``."""
        x0, y0, x1, y1 = box
        alpha = mask[..., None].astype(np.float32) * (1 / 255)
        region = self.canvas[y0:y1, x0:x1]
        region += alpha * (fill - region)

    def background(self):
        """Fill the canvas with a smooth gradient between two colours."""
        ys, xs = np.mgrid[0:self.height, 0:self.width].astype(np.float32)
        theta = self.rng.uniform(0, 2 * np.pi)
        ramp = xs * np.cos(theta) + ys * np.sin(theta)
        ramp = (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
        first = self.colour()
        self.canvas[:] = first + ramp[..., None] * (self.second_colour(first)
                                                    - first)

    def texture(self, kind, box, cx, cy, radius):
        """The fill of a leaf of the given texture kind over ``box``."""
        x0, y0, x1, y1 = box
        rng = self.rng
        first = self.colour()
        if kind == 'flat' or radius < _MIN_TEXTURED_RADIUS:
            return first
        second = self.second_colour(first)
        if kind == 'noise':
            field = self.textures[rng.integers(len(self.textures))]
            oy = rng.integers(0, field.shape[0] - (y1 - y0) + 1)
            ox = rng.integers(0, field.shape[1] - (x1 - x0) + 1)
            ramp = field[oy:oy + y1 - y0, ox:ox + x1 - x0]
            gain = rng.uniform(0.5, 3.0)
            ramp = np.clip((ramp - 0.5) * gain + 0.5, 0, 1)
        else:
            xs = np.arange(x0, x1, dtype=np.float32)[None, :] - cx
            ys = np.arange(y0, y1, dtype=np.float32)[:, None] - cy
            theta = rng.uniform(0, 2 * np.pi)
            along = xs * np.cos(theta) + ys * np.sin(theta)
            if kind == 'gradient':
                ramp = np.clip(along / (2 * radius) + 0.5, 0, 1)
            else:  # stripes: from soft sinusoids to nearly square waves
                period = np.exp(rng.uniform(np.log(2.5), np.log(40)))
                hardness = rng.uniform(0.3, 5.0)
                wave = np.sin(along * (2 * np.pi / period) +
                              rng.uniform(0, 2 * np.pi))
                ramp = 0.5 + 0.5 * np.tanh(hardness * wave) / np.tanh(
                    hardness)
        return first + ramp[..., None] * (second - first)

    def leaf(self, cx, cy, radius, shape, texture):
        """Draw one textured shape of the given radius centred at (cx, cy)."""
        rng = self.rng
        box = self.box(cx, cy, radius)
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        centre = (cx - x0, cy - y0)
        if shape == 'disc':
            cv2.circle(mask, tuple(_fixed(centre)), int(_fixed(radius)), 255,
                       -1, cv2.LINE_AA, _SHIFT)
        elif shape == 'ellipse':
            axes = _fixed((radius, radius * rng.uniform(0.2, 1.0)))
            cv2.ellipse(mask, tuple(_fixed(centre)), tuple(axes),
                        rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_AA,
                        _SHIFT)
        else:
            if shape == 'rectangle':
                half = rng.uniform(0.15, 1.0) * np.pi / 2
                angles = np.array([half, np.pi - half, np.pi + half, -half])
                reach = np.full(4, radius)
            else:  # polygon, possibly concave
                sides = int(rng.integers(3, 9))
                angles = np.sort(rng.uniform(0, 2 * np.pi, sides))
                reach = radius * rng.uniform(0.4, 1.0, sides)
            angles = angles + rng.uniform(0, 2 * np.pi)
            corners = np.stack([
                centre[0] + reach * np.cos(angles),
                centre[1] + reach * np.sin(angles)
            ], axis=1)
            cv2.fillPoly(mask, [_fixed(corners)], 255, cv2.LINE_AA, _SHIFT)
        self.blend(box, mask, self.texture(texture, box, cx, cy, radius))

    def thin_structure(self, cx, cy, radius):
        """A line, a curve or a word, contrasting with what is under it."""
        rng = self.rng
        kind = rng.choice(('line', 'curve', 'text'), p=(0.35, 0.35, 0.3))
        thickness = int(rng.choice((1, 1, 2, 3)))
        if kind == 'text':
            text = ''.join(rng.choice(_GLYPHS, int(rng.integers(3, 13))))
            font = int(rng.choice(len(_FONTS)))
            scale = float(np.exp(rng.uniform(np.log(0.3), np.log(1.5))))
            thickness = 1 if scale < 0.8 else thickness
            (tw, th), base = cv2.getTextSize(text, _FONTS[font], scale,
                                             thickness)
            reach = max(tw, th + base) / 2 + thickness
        else:
            reach = radius + thickness
        box = self.box(cx, cy, reach)
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        if kind == 'text':
            origin = (int(round(cx - x0 - tw / 2)),
                      int(round(cy - y0 + th / 2)))
            cv2.putText(mask, text, origin, _FONTS[font], scale, 255,
                        thickness, cv2.LINE_AA)
        else:
            count = 2 if kind == 'line' else int(rng.integers(3, 7))
            steps = rng.normal(0, radius / np.sqrt(count), (count, 2))
            points = np.cumsum(steps, axis=0)
            points += np.array([cx - x0, cy - y0]) - points.mean(axis=0)
            cv2.polylines(mask, [_fixed(points)], False, 255, thickness,
                          cv2.LINE_AA, _SHIFT)
        # Dark on light or light on dark, like writing and wires.
        under = self.canvas[y0:y1, x0:x1].mean()
        lightness = rng.uniform(0.0, 0.3) if under > 0.5 else rng.uniform(
            0.7, 1.0)
        colour = self.colour()
        colour = np.clip(colour * lightness / max(colour.mean(), 1e-3), 0, 1)
        self.blend(box, mask, colour)


def dead_leaves_image(size,
                      rng,
                      power=None,
                      min_radius=2.0,
                      max_radius=None,
                      coverage=3.0,
                      max_leaves=3000,
                      thin_prob=0.03,
                      defocus_prob=0.35,
                      shading_prob=0.6):
    """A random dead-leaves image with natural-image statistics.

    Args:
        size (tuple[int, int]): ``(H, W)`` of the image.
        rng (np.random.Generator): Source of randomness; the image is a
            deterministic function of its state.
        power (float | None): Exponent of the leaf radius density
            ``r**-power``; 3 is scale invariant. None draws it from
            U(2.7, 3.3) per image.
        min_radius (float): Smallest leaf radius in pixels. Defaults to 2.
        max_radius (float | None): Largest leaf radius, None for half the
            larger image side.
        coverage (float): Expected number of leaves covering a pixel; the
            background shows through about ``exp(-coverage)`` of the image.
            Defaults to 3.
        max_leaves (int): Upper bound on the number of leaves (speed).
        thin_prob (float): Share of the leaves drawn as a thin line, curve
            or word instead. Defaults to 0.03.
        defocus_prob (float): Chance that the leaves drawn before a random
            point are defocused (Gaussian, sigma 0.7-2.5 px). Defaults to
            0.35.
        shading_prob (float): Chance of a smooth illumination field
            darkening parts of the image by up to 50%. Defaults to 0.6.

    Returns:
        np.ndarray: ``H x W x 3`` float32 sRGB image in [0, 1].
    """
    height, width = (int(v) for v in size)
    if height < 1 or width < 1:
        raise ValueError(f'dead_leaves_image: size must be (H, W) with '
                         f'positive sides, got {size}.')
    if power is None:
        power = rng.uniform(2.7, 3.3)
    if max_radius is None:
        max_radius = max(height, width) / 2
    max_radius = max(max_radius, min_radius)

    painter = _Painter((height, width), rng)
    painter.background()

    # About 0.7 of the circumscribed disc is covered by an average shape.
    leaf_area = 0.7 * np.pi * _mean_square(power, min_radius, max_radius)
    count = int(min(max_leaves, coverage * height * width / leaf_area))
    radii = _power_law(rng, count, power, min_radius, max_radius)
    centres = rng.random((count, 2)) * (width, height)
    shapes = rng.choice(len(_SHAPES), count, p=_SHAPE_PROBS)
    textures = rng.choice(len(_TEXTURES), count, p=_TEXTURE_PROBS)
    thin = rng.random(count) < thin_prob
    defocus_at = int(count * rng.uniform(0.2, 0.7)) if (
        rng.random() < defocus_prob) else -1

    for i in range(count):
        if i == defocus_at:
            painter.canvas = cv2.GaussianBlur(
                painter.canvas, (0, 0),
                rng.uniform(0.7, 2.5),
                borderType=cv2.BORDER_REFLECT_101)
        cx, cy = centres[i]
        if thin[i]:
            painter.thin_structure(cx, cy, max(radii[i], 4 * min_radius))
        else:
            painter.leaf(cx, cy, radii[i], _SHAPES[shapes[i]],
                         _TEXTURES[textures[i]])

    image = painter.canvas
    if rng.random() < shading_prob:
        shade = _noise_field((height, width), 3.5, rng)
        image = image * (1 - rng.uniform(0.1, 0.5) * shade)[..., None]
    return _stretch(image, rng)


def _stretch(image, rng):
    """Map the 0.5th-99.5th percentiles to a near-black and near-white.

    Photographs are exposed to use most of the range; the few percent
    clipped at either end are like a camera's crushed shadows and
    blown highlights.
    """
    lo, hi = np.percentile(image, (0.5, 99.5))
    black, white = rng.uniform(0.0, 0.03), rng.uniform(0.97, 1.0)
    scale = (white - black) / max(hi - lo, 1e-3)
    return np.clip((image - lo) * scale + black, 0, 1).astype(np.float32)
