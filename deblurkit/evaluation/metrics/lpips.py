"""LPIPS (Zhang et al., CVPR 2018), version 0.1, the same numbers as the
``lpips`` package, from local weight files only."""
import importlib.util
import os
import os.path as osp

import numpy as np
import torch
from torch import nn

from deblurkit.registry import METRICS
from .base_image_metric import BaseImageMetric

#: Per network: torchvision's ``features`` builder, the feature indices
#: each of the five taps ends after, the taps' channels, and the file names
#: of the ImageNet weights (torchvision's hub cache) and of the linear
#: layers (shipped inside the ``lpips`` package, ``weights/v0.1/``).
NETWORKS = {
    'alex': dict(
        taps=(2, 5, 8, 10, 12),
        channels=(64, 192, 384, 256, 256),
        backbone_file='alexnet-owt-7be5be79.pth',
        linear_file='alex.pth'),
    'vgg': dict(
        taps=(4, 9, 16, 23, 30),
        channels=(64, 128, 256, 512, 512),
        backbone_file='vgg16-397923af.pth',
        linear_file='vgg.pth'),
}

# LPIPS v0.1 standardises its [-1, 1] input with these constants.
_SHIFT = (-.030, -.088, -.188)
_SCALE = (.458, .448, .450)
_EPS = 1e-10


def _features(net):
    """torchvision's ``alexnet().features`` / ``vgg16().features`` up to the
    last tap, built without the classifier (which is most of the
    parameters and of the build time); indices match torchvision's."""
    if net == 'alex':
        # (out channels, kernel, stride, padding, max-pool after)
        plan = [(64, 11, 4, 2, True), (192, 5, 1, 2, True),
                (384, 3, 1, 1, False), (256, 3, 1, 1, False),
                (256, 3, 1, 1, False)]
    else:
        widths = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512,
                  512, 'M', 512, 512, 512]
        plan = [(w, 3, 1, 1, nxt == 'M')
                for w, nxt in zip(widths, widths[1:] + [None]) if w != 'M']
    layers, channels = [], 3
    for out, kernel, stride, padding, pool in plan:
        # On the meta device: no random init, the weights are loaded after.
        layers += [nn.Conv2d(channels, out, kernel, stride, padding,
                             device='meta'),
                   nn.ReLU(inplace=True)]
        if pool:
            layers.append(nn.MaxPool2d(3 if net == 'alex' else 2, 2))
        channels = out
    return nn.Sequential(*layers)[:NETWORKS[net]['taps'][-1]]


def default_weight_paths(net):
    """Where :class:`LPIPSNet` looks for weights when none are given.

    Returns:
        tuple[str, str | None]: torchvision's hub-cache file of the ImageNet
        backbone (``$TORCH_HOME/hub/checkpoints/...``), and the linear
        layers inside an installed ``lpips`` package (None if it is not
        installed).
    """
    spec = NETWORKS[net]
    backbone = osp.join(torch.hub.get_dir(), 'checkpoints',
                        spec['backbone_file'])
    linear = None
    found = importlib.util.find_spec('lpips')
    if found is not None and found.origin:
        linear = osp.join(
            osp.dirname(found.origin), 'weights', 'v0.1', spec['linear_file'])
    return backbone, linear


def _missing(what, path, net, argument):
    spec = NETWORKS[net]
    if what == 'backbone':
        where = (f'Put torchvision\'s {spec["backbone_file"]} (the ImageNet '
                 f'{"AlexNet" if net == "alex" else "VGG16"} weights, from '
                 'a machine online: torchvision.models.'
                 f'{"alexnet" if net == "alex" else "vgg16"}(weights='
                 '"DEFAULT")) in ' + osp.join(torch.hub.get_dir(),
                                               'checkpoints'))
    else:
        where = (f'pip install lpips (its package ships weights/v0.1/'
                 f'{spec["linear_file"]}), or copy that file here')
    return FileNotFoundError(
        f'LPIPS({net!r}): the {what} weights {path!r} are missing. {where}, '
        f'or give their path as {argument}=... (this machine downloads '
        'nothing).')


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


class LPIPSNet(nn.Module):
    """The LPIPS v0.1 distance: ImageNet features of both images at five
    taps, each unit-normalised over channels, squared differences weighted
    per channel by the learned linear layer (a 1x1 convolution), averaged
    over positions and summed over taps::

        d(x, y) = sum_l mean_hw( w_l . (f_l(x)/|f_l(x)| - f_l(y)/|f_l(y)|)^2 )

    where ``f_l`` is AlexNet's ReLU1-5 or VGG16's relu1_2, 2_2, 3_3, 4_3,
    5_3, applied to ``(x - shift) / scale`` of the input in [-1, 1]
    (``|.|`` adds 1e-10).

    Args:
        net (str): ``'alex'`` or ``'vgg'``.
        backbone_weights (str | dict | None): torchvision's state dict of
            ``alexnet``/``vgg16`` (only the ``features.*`` entries are used),
            or its file. None: torchvision's hub cache (see
            :func:`default_weight_paths`).
        linear_weights (str | dict | None): The ``lpips`` package's linear
            layers (``lin0.model.1.weight`` ... ``lin4...``), or their file.
            None: the installed ``lpips`` package's file.

    Shapes: ``forward(x, y)`` takes ``N x 3 x H x W`` in [-1, 1] and
    returns ``N`` distances.
    """

    def __init__(self, net='alex', backbone_weights=None, linear_weights=None):
        super().__init__()
        if net not in NETWORKS:
            raise ValueError(f'LPIPS: net must be one of {sorted(NETWORKS)}, '
                             f'got {net!r}.')
        self.net = net
        spec = NETWORKS[net]
        default_backbone, default_linear = default_weight_paths(net)
        backbone = self._state(backbone_weights, default_backbone,
                               'backbone', 'backbone_weights')
        linear = self._state(linear_weights, default_linear, 'linear',
                             'linear_weights')
        self.features = _features(net)
        prefix = 'features.'
        try:
            self.features.load_state_dict({
                k[len(prefix):]: v.float()
                for k, v in backbone.items() if k.startswith(prefix)
                and int(k.split('.')[1]) < spec['taps'][-1]
            }, assign=True)
        except RuntimeError as e:
            raise ValueError(
                f'LPIPS({net!r}): backbone_weights do not fit torchvision\'s '
                f'{"alexnet" if net == "alex" else "vgg16"} features: '
                f'{str(e).splitlines()[0]}') from None
        self.linear = nn.ModuleList(
            nn.Conv2d(c, 1, 1, bias=False, device='meta')
            for c in spec['channels'])
        for i, layer in enumerate(self.linear):
            key = f'lin{i}.model.1.weight'
            if key not in linear:
                raise KeyError(f'LPIPS({net!r}): linear_weights has no '
                               f'{key!r}; expected the lpips package\'s '
                               f'weights/v0.1/{spec["linear_file"]}.')
            layer.load_state_dict({'weight': linear[key].float()},
                                  assign=True)
        self.register_buffer('shift', torch.tensor(_SHIFT).view(1, 3, 1, 1))
        self.register_buffer('scale', torch.tensor(_SCALE).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def _state(self, given, default, what, argument):
        if isinstance(given, dict):
            return given
        path = given or default
        if path is None or not osp.isfile(os.path.expanduser(path)):
            raise _missing(what, path, self.net, argument)
        return _load(os.path.expanduser(path))

    def _taps(self, x):
        x = (x - self.shift) / self.scale
        taps, start = [], 0
        for end in NETWORKS[self.net]['taps']:
            x = self.features[start:end](x)
            taps.append(x / (x.pow(2).sum(1, keepdim=True).sqrt() + _EPS))
            start = end
        return taps

    @torch.no_grad()
    def forward(self, x, y):
        total = 0
        for layer, fx, fy in zip(self.linear, self._taps(x), self._taps(y)):
            total = total + layer((fx - fy)**2).mean((2, 3))
        return total.flatten()


@METRICS.register_module()
class LPIPS(BaseImageMetric):
    """LPIPS v0.1 averaged over images (lower is better).

    Predictions and targets are rounded to 8-bit levels, mapped to [-1, 1]
    (``x / 127.5 - 1``, as ``lpips.im2tensor``) and scored with
    :class:`LPIPSNet`. Returns ``{'LPIPS': mean}``.

    Weights are read from local files only: torchvision's hub cache for the
    ImageNet backbone and the installed ``lpips`` package for the linear
    layers, unless paths are given; a missing file is an error that says
    where to put it.

    Args:
        net (str): ``'alex'`` (the package's default) or ``'vgg'``.
        backbone_weights (str | None): See :class:`LPIPSNet`.
        linear_weights (str | None): See :class:`LPIPSNet`.
        device (str): Where to run the network. Defaults to ``'cpu'``.
        crop_border, align, collect_device, prefix: See
            :class:`BaseImageMetric`. With ``align``, the pair is cropped to
            the bounding box of the overlap.
    """

    METRIC = 'LPIPS'

    def __init__(self, net='alex', backbone_weights=None,
                 linear_weights=None, device='cpu', **kwargs):
        super().__init__(**kwargs)
        if self.convert_to is not None:
            raise ValueError('LPIPS: convert_to is not supported; the '
                             'network takes RGB images.')
        self.device = device
        self.network = LPIPSNet(net, backbone_weights, linear_weights).to(
            device)

    def score(self, img1, img2, mask=None):
        if mask is not None:
            rows = np.flatnonzero(mask.any(axis=(1, 2)))
            cols = np.flatnonzero(mask.any(axis=(0, 2)))
            img1 = img1[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
            img2 = img2[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        if self.crop_border:
            b = self.crop_border
            img1, img2 = img1[b:-b, b:-b], img2[b:-b, b:-b]

        def to_tensor(img):
            img = torch.from_numpy(np.ascontiguousarray(img, np.float32))
            return (img.permute(2, 0, 1)[None] / 127.5 - 1).to(self.device)

        return float(self.network(to_tensor(img1), to_tensor(img2))[0])

    def extra_repr(self):
        return f', net={self.network.net!r}'
