"""The content loss of DeblurGAN-v2: VGG19 features plus pixel MSE."""
import os
import os.path as osp

import torch
import torch.nn as nn
import torch.nn.functional as F

from deblurkit.registry import LOSSES
from ..layers.winograd import (frozen_conv3x3, winograd_applies,
                               winograd_available)
from ..layers.winograd_conv import WinogradConv2d
from .base_content_loss import check_same_shape

VGG19_URL = 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth'
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# torchvision's VGG19 ("E") features: output channels of each 3x3 conv (each
# followed by a ReLU), 'M' for a 2x2 max pooling.
VGG19_LAYOUT = (64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512,
                512, 512, 'M', 512, 512, 512, 512, 'M')
NUM_VGG19_FEATURES = 37
#: ``'imagenet'``: the pixel MSE of the released training (on the
#: ImageNet-normalised images); ``'unit'``: the paper's (on [0, 1] images).
PIXEL_SPACES = ('imagenet', 'unit')
#: ``'auto'``: Winograd F(4x4, 3x3) through PyTorch's GEMMs for the
#: 128+-channel layers on the CPU (see
#: :mod:`deblurkit.models.layers.winograd_conv`), PyTorch's convolutions
#: elsewhere; ``'direct'``: PyTorch's convolutions; ``'winograd'``:
#: NNPACK's Winograd kernels on the CPU (see
#: :mod:`deblurkit.models.layers.winograd`).
CONV_ALGORITHMS = ('auto', 'direct', 'winograd')


def vgg19_features(last_layer, conv_algorithm=None):
    """torchvision's ``vgg19().features[:last_layer + 1]``, built alone.

    Same layers, indices and initialisation as torchvision, so its
    ``features.*`` weights load, without allocating the 120M parameters of
    the classifier. With ``conv_algorithm`` (``'auto'`` or ``'direct'``)
    the convolutions are :class:`~deblurkit.models.layers.winograd_conv.
    WinogradConv2d` s with it (``nn.Conv2d`` s, same parameters).
    """
    layers = []
    in_channels = 3
    for spec in VGG19_LAYOUT:
        if spec == 'M':
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            if conv_algorithm is None:
                conv = nn.Conv2d(in_channels, spec, kernel_size=3, padding=1)
            else:
                conv = WinogradConv2d(
                    in_channels,
                    spec,
                    kernel_size=3,
                    padding=1,
                    conv_algorithm=conv_algorithm)
            nn.init.kaiming_normal_(
                conv.weight, mode='fan_out', nonlinearity='relu')
            nn.init.zeros_(conv.bias)
            layers += [conv, nn.ReLU(inplace=True)]
            in_channels = spec
    return nn.Sequential(*layers[:last_layer + 1])


def vgg19_cache_path():
    """Where torch hub keeps torchvision's VGG19 ImageNet weights."""
    return osp.join(torch.hub.get_dir(), 'checkpoints',
                    osp.basename(VGG19_URL))


def load_vgg19_weights(features, path, source):
    """Load the VGG19 weights in the file ``path`` into ``features``.

    Accepts torchvision's VGG19 state dict (``features.N.weight``, the
    classifier is ignored), the same under ``state_dict`` or with a
    ``module.`` prefix, or the features alone (``N.weight``).

    Args:
        features (nn.Sequential): From :func:`vgg19_features`.
        path (str): The file.
        source (str): Which argument named the file, for errors.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'PerceptualLoss: {path!r} (given as {source}) is not a file. '
            'Pass the path of a torchvision VGG19 state dict (e.g. '
            f'{VGG19_URL}), pretrained=True for the torch hub cache, or '
            'pretrained=False for random VGG weights.')
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # unpickling raises many kinds of errors
        raise RuntimeError(
            f'PerceptualLoss: cannot read {path!r} (given as {source}) as a '
            f'torch state dict: {error}') from error
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    if not isinstance(state, dict):
        raise RuntimeError(f'PerceptualLoss: {path!r} (given as {source}) '
                           'does not hold a state dict but a '
                           f'{type(state).__name__}.')
    state = {
        key.removeprefix('module.'): value
        for key, value in state.items()
    }
    prefix = 'features.' if any(
        key.startswith('features.') for key in state) else ''
    wanted = features.state_dict().keys()
    missing = [
        f'features.{key}' for key in wanted if prefix + key not in state
    ]
    if missing:
        raise RuntimeError(
            f'PerceptualLoss: {path!r} (given as {source}) lacks the VGG19 '
            f'weights {missing[:4]}{" ..." if len(missing) > 4 else ""}; it '
            'must be a torchvision vgg19 state dict (keys features.N.weight '
            'and features.N.bias, or N.weight and N.bias for the features '
            'alone).')
    try:
        features.load_state_dict({key: state[prefix + key] for key in wanted})
    except RuntimeError as error:
        raise RuntimeError(
            f'PerceptualLoss: the weights in {path!r} (given as {source}) '
            f'do not fit torchvision\'s VGG19: {error}') from error


# CPU capabilities (``torch.backends.cpu.get_cpu_capability()``) on which
# ``channels_last='auto'`` runs the VGG channels-last. Measured (torch 2.14,
# oneDNN 3.12, 2 threads, the loss at 256x256: two forwards and the input
# gradient): on a 2-core AMD EPYC with AVX-512, 267 ms channels-last vs
# 300-380 ms NCHW; on a 2-core AVX2 EPYC (Zen 3), 0.89-0.91x the NCHW time
# (median of 20-40 interleaved pairs), mostly the 64-channel layers at full
# size and the max poolings (NCHW max_pool2d at 64x256x256: 15 ms, channels-
# last 1.3 ms). An earlier single-thread 128x128 measurement on a loaded
# AVX2 machine had found no gain; the paired 256x256 one is what 'auto'
# follows. Other CPUs (e.g. ARM) stay NCHW: not measured.
CHANNELS_LAST_CPU_CAPABILITIES = ('AVX512', 'AVX2')


@LOSSES.register_module()
class PerceptualLoss(nn.Module):
    """DeblurGAN-v2's content loss: VGG19 feature MSE plus pixel MSE.

    ``vgg_weight * MSE(vgg(n(p)), vgg(n(t))) + pixel_weight * MSE(q(p),
    q(t))``, where ``p = (pred + 1) / 2`` and ``t = (target + 1) / 2`` are
    the images mapped to [0, 1], ``n`` is the ImageNet normalisation
    ``(x - mean) / std``, ``vgg`` is torchvision's
    ``vgg19().features[:vgg_layer + 1]`` (by default up to conv3_3, before
    its ReLU) and ``q`` depends on ``pixel_space``:

    - ``'imagenet'`` (``q = n``): the loss that trained the released
      weights. The official ``PerceptualLoss.get_loss`` normalises the
      images in place before the VGG, so its pixel MSE sees the normalised
      images: about 20x (``1 / std ** 2`` per channel) the MSE on [0, 1]
      images. The official code normalises only the first image of a batch
      (a bug, harmless at its batch size of 1); here every image is.
    - ``'unit'`` (``q`` = identity): the paper's formula, ``0.5 Lp + 0.006
      LX`` with ``Lp`` the MSE of the [0, 1] images.

    The target's features carry no gradient.

    The VGG is frozen, always in eval mode and kept out of the module tree:
    it is not in ``state_dict()`` (checkpoints stay small and load without
    it), not in ``parameters()`` and not touched by ``init_weights``, but it
    follows ``.to()``, ``.cuda()``, ``.half()``. Its weights come from
    ``pretrained`` at construction. deblurkit never downloads them.

    Args:
        pretrained (bool | str): True: torchvision's ImageNet weights
            (IMAGENET1K_V1) from the torch hub cache,
            ``<torch.hub.get_dir()>/checkpoints/vgg19-dcbb9e9d.pth``; a
            FileNotFoundError says how to get them when missing. A path:
            that file. False: random weights (for tests; the feature term
            then measures nothing perceptual). Default: True.
        vgg_weight (float): Factor of the feature MSE. Default: 0.006.
        pixel_weight (float): Factor of the pixel MSE. Default: 0.5.
        pixel_space (str): Images the pixel MSE compares: ``'imagenet'``
            (ImageNet-normalised, the released training) or ``'unit'``
            ([0, 1], the paper's formula). Default: ``'imagenet'``.
        vgg_layer (int): Index in torchvision's ``vgg19().features`` of the
            last layer used (inclusive). Default: 14 (conv3_3).
        channels_last (bool | str): Run the VGG on channels-last tensors
            (same values, up to float rounding; faster where oneDNN's
            channels-last kernels are). ``'auto'``: on x86 CPUs with AVX2
            or AVX-512 (see :data:`CHANNELS_LAST_CPU_CAPABILITIES`), not
            elsewhere.
            Default: ``'auto'``.
        conv_algorithm (str): ``'auto'``: on the CPU in float32 (outside
            autocast) the VGG's 3x3 convolutions with 128 or more channels
            (conv2_2 on) run Winograd F(4x4, 3x3) through PyTorch's own
            GEMMs, forward and input gradient (see
            :mod:`deblurkit.models.layers.winograd_conv`): the same values
            up to float32 rounding (about 1.7e-6 relative per layer against
            float64, where the direct kernel is at 0.7-1e-6), those layers
            in about 0.6-0.8x the time with two threads; the other layers,
            and everything on CUDA or under autocast, run PyTorch's
            convolutions. ``'direct'``: the VGG runs PyTorch's own
            convolutions. ``'winograd'``: on the CPU in float32 its 3x3
            convolutions (forward and input gradient) run NNPACK's Winograd
            kernels, NCHW (``channels_last`` is then ignored on the CPU):
            VGG19 to conv3_3 about 1.7x faster on an AVX-512 EPYC with
            one thread (no faster with two: NNPACK's thread pool competes
            with PyTorch's OpenMP threads), with
            about 10x the float32 rounding error of a direct convolution
            (4e-6 relative per layer instead of 3e-7; the gradient it sends
            to the generator 2e-6 instead of 7e-7, both against float64).
            Elsewhere (CUDA, bfloat16 autocast) the direct path runs.
            Needs a PyTorch built with NNPACK (a ValueError says so).
            Default: ``'auto'``.

    Shapes:
        ``pred``, ``target``: ``(N, 3, H, W)`` RGB in [-1, 1]. Output: a
        scalar.
    """

    def __init__(self,
                 pretrained=True,
                 vgg_weight=0.006,
                 pixel_weight=0.5,
                 pixel_space='imagenet',
                 vgg_layer=14,
                 channels_last='auto',
                 conv_algorithm='auto'):
        super().__init__()
        if conv_algorithm not in CONV_ALGORITHMS:
            raise ValueError(f'conv_algorithm must be one of '
                             f'{CONV_ALGORITHMS}, got {conv_algorithm!r}')
        if conv_algorithm == 'winograd' and not winograd_available():
            raise ValueError(
                "PerceptualLoss(conv_algorithm='winograd') needs NNPACK, "
                'which this PyTorch build lacks (torch._nnpack_available() '
                "is False); use conv_algorithm='direct'.")
        self.conv_algorithm = conv_algorithm
        if channels_last not in (True, False, 'auto'):
            raise ValueError("channels_last must be True, False or 'auto', "
                             f'got {channels_last!r}')
        self.channels_last = channels_last
        if isinstance(vgg_layer, bool) or not isinstance(
                vgg_layer, int) or not 0 <= vgg_layer < NUM_VGG19_FEATURES:
            raise ValueError('vgg_layer must be an index of vgg19().features '
                             f'(0 to {NUM_VGG19_FEATURES - 1}), got '
                             f'{vgg_layer!r}')
        if pixel_space not in PIXEL_SPACES:
            raise ValueError(f'pixel_space must be one of {PIXEL_SPACES}, '
                             f'got {pixel_space!r}')
        self.pixel_space = pixel_space
        self.vgg_weight = float(vgg_weight)
        self.pixel_weight = float(pixel_weight)
        self.vgg_layer = vgg_layer
        self.pretrained = pretrained

        vgg = vgg19_features(
            vgg_layer,
            None if conv_algorithm == 'winograd' else conv_algorithm)
        if pretrained is True:
            path = vgg19_cache_path()
            # Checked before anything that could download, so an offline
            # machine fails at once instead of hanging on the network.
            if not osp.isfile(path):
                raise FileNotFoundError(
                    'PerceptualLoss(pretrained=True) needs torchvision\'s '
                    f'ImageNet VGG19 weights at {path}, which does not '
                    'exist (deblurkit does not download them). Either '
                    f'download {VGG19_URL} and place it there (the torch hub '
                    'cache; set TORCH_HOME to use <TORCH_HOME>/hub instead), '
                    'e.g. with python -c "import torch; '
                    f'torch.hub.load_state_dict_from_url(\'{VGG19_URL}\')" '
                    'on a machine online; or pass '
                    "pretrained='/path/to/vgg19-dcbb9e9d.pth'; or pass "
                    'pretrained=False for random VGG weights (e.g. '
                    '--cfg-options model.content_loss.pretrained=False).')
            load_vgg19_weights(vgg, path, 'pretrained=True')
        elif isinstance(pretrained, (str, os.PathLike)):
            load_vgg19_weights(vgg, os.fspath(pretrained), 'pretrained')
        elif pretrained is not False:
            raise TypeError('pretrained must be True, False or the path of a '
                            f'VGG19 state dict, got {pretrained!r}')
        vgg.requires_grad_(False)
        vgg.eval()
        # Stored around nn.Module.__setattr__ so that it is no submodule.
        self.__dict__['_vgg'] = vgg

        self.register_buffer(
            'mean',
            torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1),
            persistent=False)
        self.register_buffer(
            'std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1),
            persistent=False)

    @property
    def vgg(self):
        """nn.Sequential: The frozen VGG19 feature extractor."""
        return self._vgg

    def _apply(self, fn, recurse=True):
        # .to(), .cuda(), .half(), ... all go through _apply; the VGG is no
        # submodule, so it has to be told here. (.train() does not reach it,
        # which keeps it in eval mode.)
        super()._apply(fn, recurse)
        self._vgg._apply(fn)
        return self

    def _vgg_memory_format(self, images):
        use = self.channels_last
        if use == 'auto':
            use = images.device.type == 'cpu' and (
                torch.backends.cpu.get_cpu_capability()
                in CHANNELS_LAST_CPU_CAPABILITIES)
        return torch.channels_last if use else torch.contiguous_format

    def _winograd(self, images):
        return (self.conv_algorithm == 'winograd'
                and images.device.type == 'cpu'
                and images.dtype == torch.float32
                and not torch.is_autocast_enabled('cpu'))

    def _features(self, images):
        if self._winograd(images):
            if not self._vgg[0].weight.is_contiguous():
                self._vgg.to(memory_format=torch.contiguous_format)
            x = images.contiguous()
            for layer in self._vgg:
                x = frozen_conv3x3(layer, x) if winograd_applies(
                    layer, x) else layer(x)
            return x
        memory_format = self._vgg_memory_format(images)
        weight = self._vgg[0].weight
        if not weight.is_contiguous(memory_format=memory_format):
            self._vgg.to(memory_format=memory_format)
        return self._vgg(images.contiguous(memory_format=memory_format))

    def forward(self, pred, target):
        check_same_shape(pred, target, 'PerceptualLoss')
        if pred.dim() != 4 or pred.size(1) != 3:
            raise ValueError('PerceptualLoss expects RGB batches (N, 3, H, '
                             f'W), got {tuple(pred.shape)}')
        pred = (pred + 1) / 2
        target = (target + 1) / 2
        pred_norm = (pred - self.mean) / self.std
        with torch.no_grad():
            target_norm = (target - self.mean) / self.std
            target_features = self._features(target_norm)
        loss = self.vgg_weight * F.mse_loss(self._features(pred_norm),
                                            target_features)
        if self.pixel_space == 'imagenet':
            return loss + self.pixel_weight * F.mse_loss(pred_norm,
                                                         target_norm)
        return loss + self.pixel_weight * F.mse_loss(pred, target)

    def extra_repr(self):
        return (f'pretrained={self.pretrained!r}, '
                f'vgg_weight={self.vgg_weight}, '
                f'pixel_weight={self.pixel_weight}, '
                f'pixel_space={self.pixel_space!r}, '
                f'vgg_layer={self.vgg_layer}, '
                f'channels_last={self.channels_last!r}, '
                f'conv_algorithm={self.conv_algorithm!r}')
