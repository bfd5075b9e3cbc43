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

from .color import linear_to_srgb

__all__ = ['dead_leaves_image']

# Fixed-point bits for OpenCV's drawing calls: sub-pixel shape positions.
_SHIFT = 4
_ONE = 1 << _SHIFT
_SHAPES = ('disc', 'ellipse', 'rectangle', 'polygon')
_SHAPE_PROBS = (0.35, 0.15, 0.25, 0.25)
_TEXTURES = ('flat', 'gradient', 'stripes', 'noise')
_TEXTURE_PROBS = (0.3, 0.2, 0.15, 0.35)
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
    """Noise with power spectrum ``1/f**beta``, about [0, 1].

    Args:
        shape (tuple[int, int]): ``(H, W)``.
        beta (float): Spectral exponent (2 is natural, larger is smoother).
        rng (np.random.Generator): Source of randomness.

    Returns:
        np.ndarray: ``(H, W)`` float32; 98% of the values in [0, 1].
    """
    height, width = shape
    fy = np.fft.fftfreq(height).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(width).astype(np.float32)[None, :]
    radius_sq = fx**2 + fy**2
    radius_sq[0, 0] = 1.0
    # White noise drawn directly in the frequency domain (irfft2 keeps the
    # Hermitian part), which saves a forward transform.
    white = rng.standard_normal((2, ) + radius_sq.shape, dtype=np.float32)
    spectrum = (white[0] + 1j * white[1]) * radius_sq**np.float32(-beta / 4)
    spectrum[0, 0] = 0.0
    field = np.fft.irfft2(spectrum, s=shape)
    # The field is Gaussian: +-2.33 standard deviations hold 98% of it
    # (cheaper than sorting for percentiles).
    return np.clip(field * (0.5 / (2.33 * field.std())) + 0.5, 0,
                   1).astype(np.float32)


def _lab_to_srgb(lab):
    """CIELAB (D65) to sRGB in [0, 1], clipped; ``(..., 3)`` arrays."""
    lightness, a, b = np.moveaxis(np.asarray(lab, np.float64), -1, 0)
    fy = (lightness + 16) / 116
    f = np.stack([fy + a / 500, fy, fy - b / 200], axis=-1)
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29)**2 * (f - 4 / 29))
    xyz = xyz * (0.95047, 1.0, 1.08883)
    linear = xyz @ np.array([[3.2406, -0.9689, 0.0557],
                             [-1.5372, 1.8758, -0.2040],
                             [-0.4986, 0.0415, 1.0570]])
    return linear_to_srgb(linear)


def _natural_palette(rng, count):
    """``count`` sRGB colours drawn in CIELAB like a photograph's.

    Lightness spans the whole range; chroma is mostly low (natural scenes
    are dominated by greys, browns, greens, sky blues), with a per-image
    colourfulness so that some images are muted and some vivid.

    Returns:
        np.ndarray: ``(count, 3)`` float32 RGB in [0, 1].
    """
    colourfulness = rng.uniform(5, 30)
    lightness = 100 * rng.beta(1.2, 1.2, count)
    chroma = colourfulness * rng.exponential(1.0, count)
    hue = rng.uniform(0, 2 * np.pi, count)
    return _lab_to_srgb(
        np.stack([lightness, chroma * np.cos(hue), chroma * np.sin(hue)],
                 axis=1))


class _Painter:
    """Draws leaves onto a float32 RGB canvas, one region at a time.

    Shapes are drawn as anti-aliased 8-bit masks (OpenCV only
    anti-aliases 8-bit images) in the shape's bounding box, then the fill
    is blended in with the mask as alpha.
    """

    def __init__(self, size, rng, surface_prob=0.0):
        self.height, self.width = size
        self.rng = rng
        self.surface_prob = surface_prob
        self.canvas = np.empty((self.height, self.width, 3), np.float32)
        self.palette = _natural_palette(rng, int(rng.integers(3, 9)))
        # Larger than the image (which bounds any leaf's box) so a leaf can
        # take its texture from a random window, not the same patch as its
        # neighbours.
        big = (self.height * 3 // 2, self.width * 3 // 2)
        self.textures = [
            _noise_field(big, rng.uniform(1.0, 2.0), rng),
            _noise_field(big, rng.uniform(2.0, 3.0), rng)
        ]

    def colours(self, count):
        """``(count, 2, 3)``: pairs of colours, for flat fills and ramps.

        The first is a palette colour varied in lightness and tint; the
        second (the other end of a gradient or texture) is another such
        colour or the first one lighter or darker, like shading on one
        material.
        """
        rng = self.rng

        def varied():
            base = self.palette[rng.integers(len(self.palette), size=count)]
            return base * np.exp(rng.normal(0, 0.2, (count, 1))) + \
                rng.normal(0, 0.02, (count, 3))

        first = varied()
        shaded = first * np.exp(rng.normal(0, 0.5, (count, 1)))
        second = np.where(rng.random((count, 1)) < 0.5, varied(), shaded)
        return np.clip(np.stack([first, second], axis=1), 0,
                       1).astype(np.float32)

    def box(self, cx, cy, reach):
        """Bounding box ``(x0, y0, x1, y1)`` clipped to the canvas."""
        return (max(int(cx - reach) - 1, 0), max(int(cy - reach) - 1, 0),
                min(int(cx + reach) + 2, self.width),
                min(int(cy + reach) + 2, self.height))

    def blend(self, box, mask, fill):
        """Composite ``fill`` (``(3,)`` or ``(h, w, 3)``) under ``mask``."""
        x0, y0, x1, y1 = box
        alpha = mask[..., None].astype(np.float32) * (1 / 255)
        region = self.canvas[y0:y1, x0:x1]
        region += alpha * (fill - region)

    def background(self, colours):
        """Fill the canvas with a smooth gradient between two colours."""
        centre = (self.width / 2, self.height / 2)
        box = (0, 0, self.width, self.height)
        self.canvas[:] = self.fill('gradient', box, centre,
                                   max(centre), colours)

    def fill(self, kind, box, centre, radius, colours):
        """The fill of a leaf of the given texture kind over ``box``."""
        first, second = colours
        if kind == 'flat' or radius < _MIN_TEXTURED_RADIUS:
            return first
        x0, y0, x1, y1 = box
        rng = self.rng
        if kind == 'noise':
            ramp = self.window(box)
            ramp = np.clip((ramp - 0.5) * rng.uniform(0.5, 3.0) + 0.5, 0, 1)
        else:
            theta = rng.uniform(0, 2 * np.pi)
            xs = (np.arange(x0, x1, dtype=np.float32) - centre[0]) * np.cos(
                theta)
            ys = (np.arange(y0, y1, dtype=np.float32) - centre[1]) * np.sin(
                theta)
            along = xs[None, :] + ys[:, None]
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

    def window(self, box):
        """A random window of one of the 1/f noise fields, ``box``-sized."""
        x0, y0, x1, y1 = box
        rng = self.rng
        field = self.textures[rng.integers(len(self.textures))]
        oy = rng.integers(0, field.shape[0] - (y1 - y0) + 1)
        ox = rng.integers(0, field.shape[1] - (x1 - x0) + 1)
        return field[oy:oy + y1 - y0, ox:ox + x1 - x0]

    def surface(self, box):
        """``(h, w, 1)`` multiplicative grain of a material's surface: a
        1/f field of random contrast (2% to 25%), so that no leaf is
        perfectly flat, as no surface in a photograph is."""
        contrast = np.exp(self.rng.uniform(np.log(0.02), np.log(0.25)))
        grain = 1 + 2 * contrast * (self.window(box) - 0.5)
        return grain[..., None]

    def leaf(self, cx, cy, radius, shape, texture, colours):
        """Draw one textured shape of the given radius centred at (cx, cy)."""
        rng = self.rng
        box = self.box(cx, cy, radius)
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        centre = ((cx - x0) * _ONE, (cy - y0) * _ONE)
        fixed_centre = (int(centre[0]), int(centre[1]))
        if shape == 'disc':
            cv2.circle(mask, fixed_centre, int(radius * _ONE), 255, -1,
                       cv2.LINE_AA, _SHIFT)
        elif shape == 'ellipse':
            axes = (int(radius * _ONE),
                    int(radius * _ONE * rng.uniform(0.2, 1.0)))
            cv2.ellipse(mask, fixed_centre, axes, rng.uniform(0, 180), 0, 360,
                        255, -1, cv2.LINE_AA, _SHIFT)
        else:
            if shape == 'rectangle':
                half = rng.uniform(0.15, 1.0) * np.pi / 2
                angles = np.array([half, np.pi - half, np.pi + half, -half])
                reach = radius * _ONE
            else:  # polygon, possibly concave
                sides = int(rng.integers(3, 9))
                angles = np.sort(rng.uniform(0, 2 * np.pi, sides))
                reach = radius * _ONE * rng.uniform(0.4, 1.0, sides)
            angles = angles + rng.uniform(0, 2 * np.pi)
            corners = np.stack([
                centre[0] + reach * np.cos(angles),
                centre[1] + reach * np.sin(angles)
            ], axis=1).astype(np.int32)
            cv2.fillPoly(mask, [corners], 255, cv2.LINE_AA, _SHIFT)
        fill = self.fill(texture, box, (cx, cy), radius, colours)
        if radius >= _MIN_TEXTURED_RADIUS and rng.random() < self.surface_prob:
            fill = fill * self.surface(box)
        self.blend(box, mask, fill)

    def thin_structure(self, cx, cy, radius, colour):
        """A line, a curve or a word, contrasting with what is under it."""
        rng = self.rng
        kind = rng.choice(('line', 'curve', 'text'), p=(0.35, 0.35, 0.3))
        thickness = int(rng.choice((1, 1, 2, 3)))
        if kind == 'text':
            text = ''.join(rng.choice(_GLYPHS, int(rng.integers(3, 13))))
            font = _FONTS[int(rng.integers(len(_FONTS)))]
            scale = float(np.exp(rng.uniform(np.log(0.3), np.log(1.0))))
            thickness = 1 if scale < 0.6 else min(thickness, 2)
            (tw, th), base = cv2.getTextSize(text, font, scale, thickness)
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
            cv2.putText(mask, text, origin, font, scale, 255, thickness,
                        cv2.LINE_AA)
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
        colour = np.clip(colour * lightness / max(colour.mean(), 1e-3), 0, 1)
        self.blend(box, mask, colour)


def dead_leaves_image(size,
                      rng,
                      power=None,
                      min_radius=2.0,
                      max_radius=None,
                      coverage=2.5,
                      max_leaves=3000,
                      thin_density=1.5,
                      defocus_prob=0.35,
                      shading_prob=0.6,
                      surface_prob=0.0):
    """A random dead-leaves image with natural-image statistics.

    Args:
        size (tuple[int, int]): ``(H, W)`` of the image.
        rng (np.random.Generator): Source of randomness; the image is a
            deterministic function of its state.
        power (float | tuple[float, float] | None): Exponent of the leaf
            radius density ``r**-power``; 3 is scale invariant, lower gives
            larger regions. A ``(low, high)`` pair draws it uniformly per
            image; None is ``(2.6, 3.2)``.
        min_radius (float): Smallest leaf radius in pixels. Defaults to 2.
        max_radius (float | None): Largest leaf radius, None for half the
            larger image side.
        coverage (float): Expected number of leaves covering a pixel; the
            background shows through about ``exp(-coverage)`` of the image.
            Defaults to 2.5.
        max_leaves (int): Upper bound on the number of leaves (speed).
        thin_density (float): Expected thin lines, curves or words per
            100 x 100 pixels. Defaults to 1.5.
        defocus_prob (float): Chance that the leaves drawn before a random
            point are defocused (Gaussian, sigma 0.7-2.5 px). Defaults to
            0.35.
        shading_prob (float): Chance of a smooth illumination field
            darkening parts of the image by up to 50%. Defaults to 0.6.
        surface_prob (float): Chance that a leaf's fill is also modulated
            by a fine 1/f grain of 2% to 25% contrast (the surface texture
            of skin, wood, cloth that photographs show everywhere and
            flat-filled leaves lack). Defaults to 0 (the classic model).

    Returns:
        np.ndarray: ``H x W x 3`` float32 sRGB image in [0, 1].
    """
    height, width = (int(v) for v in size)
    if height < 1 or width < 1:
        raise ValueError(f'dead_leaves_image: size must be (H, W) with '
                         f'positive sides, got {size}.')
    if power is None:
        power = (2.6, 3.2)
    if np.ndim(power):
        power = rng.uniform(*power)
    if max_radius is None:
        max_radius = max(height, width) / 2
    max_radius = max(max_radius, min_radius)

    painter = _Painter((height, width), rng, surface_prob)
    # About 0.7 of the circumscribed disc is covered by an average shape.
    leaf_area = 0.7 * np.pi * _mean_square(power, min_radius, max_radius)
    count = int(min(max_leaves, coverage * height * width / leaf_area))
    num_thin = rng.poisson(thin_density * height * width / 1e4)
    total = count + num_thin
    # Leaves and thin structures share one random drawing order, so thin
    # structures get occluded like everything else.
    radii = _power_law(rng, total, power, min_radius, max_radius)
    radii[count:] = np.maximum(radii[count:], 4 * min_radius)
    order = rng.permutation(total)
    centres = rng.random((total, 2)) * (width, height)
    shapes = rng.choice(len(_SHAPES), total, p=_SHAPE_PROBS)
    textures = rng.choice(len(_TEXTURES), total, p=_TEXTURE_PROBS)
    colours = painter.colours(total + 1)
    defocus_at = int(total * rng.uniform(0.2, 0.7)) if (
        rng.random() < defocus_prob) else -1

    painter.background(colours[total])
    for step, i in enumerate(order):
        if step == defocus_at:
            painter.canvas = cv2.GaussianBlur(
                painter.canvas, (0, 0),
                rng.uniform(0.7, 2.5),
                borderType=cv2.BORDER_REFLECT_101)
        cx, cy = centres[i]
        if i >= count:
            painter.thin_structure(cx, cy, radii[i], colours[i, 0])
        else:
            painter.leaf(cx, cy, radii[i], _SHAPES[shapes[i]],
                         _TEXTURES[textures[i]], colours[i])

    image = painter.canvas
    if rng.random() < shading_prob:
        # Smooth, so drawn at 1/8 of the size and interpolated.
        shade = cv2.resize(
            _noise_field((height // 8 + 1, width // 8 + 1), 3.5, rng),
            (width, height),
            interpolation=cv2.INTER_CUBIC)
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
