"""The fast inference path of :class:`FPNGenerator`.

:func:`optimize_generator` returns a new module that computes the same
function as the generator in eval mode (``'per_image'`` or ``'running'``
statistics), built from copies of its weights. Every change is an exact
rewrite (tested in float64); only the float rounding differs:

- every ``conv -> norm -> activation`` run is fused (:mod:`.layers`): a
  norm with running statistics is folded into the convolution and the
  activation runs inside the oneDNN kernel; a per-image norm is one
  batch-norm kernel plus an in-place activation, and after an expanding 1x1
  convolution (MobileNetV2) its statistics come from the input's Gram
  matrix, so the norm folds into that image's weights;
- ``td_k(lateral(enc) + up2(map))`` and ``smooth2(lateral0(enc0) +
  up2(smooth))`` are ``conv3x3`` of ``enc`` with the 1x1 lateral folded in,
  plus ``conv3x3(up2(.))`` computed at the low resolution
  (:mod:`.upsampled_conv`): neither the lateral maps nor the sums are
  built;
- the head's ``smooth`` convolution of ``[up8(h4), up4(h3), up2(h2), h1]``
  is the sum of one convolution per branch, each at its branch's own
  resolution: no upsampled maps, no concatenation, and 3.9 instead of 8.7
  GMACs for FPN-MobileNet at 736x1280;
- the final ``conv3x3(up2(.))`` to 3 channels runs at half resolution and
  writes the full-resolution residual directly, instead of convolving a
  32-channel full-resolution map;
- tensors are channels-last, where oneDNN (CPU) and cuDNN (GPU) have their
  fastest 1x1, depthwise and small-output convolutions;
- on the CPU, a batch in per-image mode runs one image at a time (each
  image's statistics are its own anyway), so every normalisation is a
  single fused kernel.

Other necks, heads or backbones keep their own layers, deep-copied, with
the recognised conv/norm/activation runs fused, so the result is always the
same function.
"""
import copy

import torch
import torch.nn as nn

from ...layers.conv import DepthwiseSeparableConv2d
from ...layers.norm import NORM_STATS_MODES, set_norm_stats
from ..fpn_generator import FPNGenerator
from .layers import (FastNorm, FusedConv, ScaledResidualBlock,
                     convert_conv_weights,
                     fold_affine_into, folded_affine, is_norm,
                     uses_image_stats)
from .onednn import bf16_convolutions
from .rewrite import fuse_conv_norm_act, fuse_module_tree
from .source_contract import read_source
from .tuning import BYTE_RATE, MAC_RATE
from .upsampled_conv import UpsampledConv3x3, add_upsampled_

DTYPES = {
    None: torch.float32,
    'fp32': torch.float32,
    'float32': torch.float32,
    'fp16': torch.float16,
    'float16': torch.float16,
    'bf16': torch.bfloat16,
    'bfloat16': torch.bfloat16,
}


def _conv3x3_parts(conv):
    """``(depthwise weight | None, dense weight, bias)`` of an FPN 3x3 conv.

    For a depthwise-separable conv the dense weight is the pointwise 1x1.
    """
    if isinstance(conv, DepthwiseSeparableConv2d):
        return (conv.depthwise.weight.detach(), conv.pointwise.weight.detach(),
                conv.pointwise.bias)
    return None, conv.weight.detach(), conv.bias


def _dense_equivalent(conv):
    """The 3x3 kernel and bias equal to ``conv`` (dense or separable)."""
    depthwise, weight, bias = _conv3x3_parts(conv)
    if depthwise is not None:
        # pointwise(depthwise(x)) is a dense conv with kernel P[o, i] D[i].
        weight = (weight.double()[:, :, 0, 0, None, None] *
                  depthwise.double()[None, :, 0]).to(weight.dtype)
    return weight, bias


def _norm_act(norm, norm_stats):
    """How the output of a head/neck convolution is normalised.

    Returns:
        tuple: ``(scale, shift)`` to fold (float64) or None, and the
        per-image norm layer or None.
    """
    if not is_norm(norm):
        return None, None
    image_stats = uses_image_stats(norm, norm_stats)
    if image_stats is None:
        raise ValueError(
            'the fast generator cannot reproduce a BatchNorm without running '
            "buffers in 'running' mode (batch statistics); use "
            "norm_stats='per_image' or the plain generator")
    return (None, norm) if image_stats else (folded_affine(norm), None)


class _PostNorm(nn.Module):
    """The norm and ReLU after a sum of convolutions.

    A fixed (running-statistics) norm is folded into the convolutions by
    the caller, which leaves the ReLU; a per-image norm is applied here.
    """

    def __init__(self, norm, norm_stats):
        super().__init__()
        folded, per_image = _norm_act(norm, norm_stats)
        self.folded = folded
        self.norm = None if per_image is None else FastNorm(
            per_image, 'relu', image_stats=True)

    def forward(self, x):
        return x.relu_() if self.norm is None else self.norm(x)


class TopDownConv(nn.Module):
    """``relu(norm(conv3x3(lateral(enc) + up_s(low))))`` for inference.

    Folded form: the sum map is never built. The convolution is linear, so
    it is ``conv3x3(lateral(enc))``, one 3x3 convolution of ``enc`` with
    the 1x1 lateral folded in, plus ``conv3x3(up_s(low))`` computed at
    ``low``'s resolution (:class:`UpsampledConv3x3`), added in place. (A
    lateral without bias maps the zero padding to zero, so folding it is
    exact at the borders too.) A depthwise-separable convolution takes part
    through its dense equivalent (kernel ``P[o, i] D[i]``).

    Direct form: the lateral map, ``up_s(low)`` added to it in place, and
    the convolution of the sum.

    The folded form is always cheaper for a dense convolution when ``enc``
    has fewer channels than the pyramid; for a depthwise-separable one it
    trades many more MACs for much less memory traffic, and
    :func:`_folded_pays` decides.

    Args:
        lateral (nn.Conv2d): The 1x1 lateral convolution (no bias).
        block (ConvNormReLU): The 3x3 convolution (dense or separable) and
            the norm after it (then a ReLU).
        scale (int): Upsampling factor of ``low``.
        norm_stats (str | None): Statistics of the norm.

    Shapes: ``enc (N, Ce, H, W)``, ``low (N, C, H / s, W / s)`` ->
    ``(N, Cout, H, W)``.
    """

    def __init__(self, lateral, block, scale=2, norm_stats=None):
        super().__init__()
        conv = block.conv
        self.post = _PostNorm(block.norm, norm_stats)
        folded = self.post.folded
        self.fused = (lateral.bias is None
                      and tuple(lateral.kernel_size) == (1, 1)
                      and _folded_pays(lateral, conv, scale))
        if not self.fused:
            self.lateral = fuse_conv_norm_act(lateral)
            self.conv = fuse_conv_norm_act(conv)
            if folded is not None:
                _fold_into_fused(self.conv, folded)
            return
        weight, bias = _dense_equivalent(conv)
        weight = weight.detach()
        if folded is not None:
            weight, bias = fold_affine_into(weight, bias, *folded)
        through_lateral = torch.einsum(
            'oikl,ij->ojkl', weight.double(),
            lateral.weight.detach().double()[:, :, 0, 0]).to(weight.dtype)
        self.direct = FusedConv(through_lateral, bias, padding=(1, 1))
        self.up = UpsampledConv3x3(weight, scale)

    def forward(self, enc, low):
        if self.fused:
            y = self.direct(enc)
            self.up(low, out=y, accumulate=True)
        else:
            y = self.conv(add_upsampled_(self.lateral(enc), low))
        return self.post(y)


def _folded_pays(lateral, conv, scale):
    """Whether :class:`TopDownConv`'s folded form is the cheaper one."""
    if type(conv) is nn.Conv2d:
        if tuple(conv.kernel_size) != (3, 3) or conv.stride != (1, 1):
            return False
    elif not isinstance(conv, DepthwiseSeparableConv2d):
        return False
    c_in, width = lateral.in_channels, lateral.out_channels
    c_out = _dense_equivalent(conv)[0].shape[0]
    # Phase-class taps per output pixel of the low-resolution convolution.
    taps = 16 / 4 if scale == 2 else 36 / scale**2
    folded_macs = (9 * c_in + taps * width) * c_out
    folded_bytes = 4 * 4 * c_out  # direct output, pair outputs, scatter
    if type(conv) is nn.Conv2d:
        direct_macs = (c_in + 9 * c_out) * width
    else:
        direct_macs = (c_in + 9 + c_out) * width
    # lateral map written, added to, convolved (and the depthwise output)
    direct_bytes = 4 * (6 * width + c_out)
    # A rough CPU cost model, per output pixel (see tuning.py).
    return (folded_macs / MAC_RATE + folded_bytes / BYTE_RATE <=
            direct_macs / MAC_RATE + direct_bytes / BYTE_RATE)


def _fold_into_fused(layers, folded):
    """Fold ``(scale, shift)`` into the last :class:`FusedConv` of layers."""
    last = layers[-1] if isinstance(layers, nn.Sequential) else layers
    weight, bias = fold_affine_into(last.weight, last.bias, *folded)
    last.weight, last.bias = weight, bias


class FastFPNDecoder(nn.Module):
    """:class:`FPN` and :class:`FPNHead` as one inference module.

    The laterals of map0..map3 are never materialised (:class:`TopDownConv`
    folds them into the convolution after them), and the head's upsampled
    maps and concatenation are replaced by per-branch convolutions at the
    branches' own resolutions.

    Args:
        parts (DecoderParts): The layers of the source neck and head
            (:func:`~.source_contract.read_decoder`; weights are copied).
        norm_stats (str | None): Statistics of their norms.

    Shapes: the five backbone maps -> the residual ``(N, 3, H, W)``,
    contiguous (NCHW).
    """

    # Upsampling factor of head4, head3, head2, head1 in the concatenation.
    SCALES = (8, 4, 2, 1)

    def __init__(self, parts, norm_stats=None):
        super().__init__()
        laterals = parts.laterals
        self.lateral4 = fuse_conv_norm_act(laterals[4])
        # td1 follows lateral3, td2 lateral2, td3 lateral1.
        for k, block in enumerate(parts.top_down, 1):
            self.add_module(
                f'td{k}', TopDownConv(laterals[4 - k], block, 2, norm_stats))
        for k, (block0, block1) in enumerate(parts.branches, 1):
            self.add_module(
                f'head{k}',
                nn.Sequential(
                    fuse_conv_norm_act(block0, act='relu'),
                    fuse_conv_norm_act(block1, act='relu')))
        self._build_smooth(parts.smooth, norm_stats)
        self.smooth2 = TopDownConv(laterals[0], parts.smooth2, 2, norm_stats)
        weight, bias = _dense_equivalent(parts.final)
        self.final = UpsampledConv3x3(weight, 2, bias)

    def _build_smooth(self, smooth, norm_stats):
        self.smooth_post = _PostNorm(smooth.norm, norm_stats)
        folded = self.smooth_post.folded
        depthwise, weight, bias = _conv3x3_parts(smooth.conv)
        if folded is not None:
            weight, bias = fold_affine_into(weight, bias, *folded)
        elif bias is not None:
            bias = bias.detach()
        c = weight.shape[1] // 4
        self.separable = depthwise is not None
        branches = []
        for i, scale in enumerate(self.SCALES):
            part = slice(i * c, (i + 1) * c)
            if self.separable:
                # Depthwise 3x3 per branch (at the branch's resolution),
                # written into one concatenated map for the pointwise conv.
                layer = UpsampledConv3x3(
                    depthwise[part], scale, groups=c) if scale > 1 else \
                    FusedConv(depthwise[part], padding=(1, 1), groups=c)
            elif scale > 1:
                # smooth(cat(b4, b3, b2, b1)) = the sum of per-branch convs.
                layer = UpsampledConv3x3(weight[:, part], scale)
            else:
                layer = FusedConv(weight[:, part], bias, padding=(1, 1))
            branches.append(layer)
        self.smooth_branches = nn.ModuleList(branches)
        if self.separable:
            self.smooth_mix = FusedConv(weight, bias)

    def _smooth(self, branches):
        h1 = branches[-1]
        if self.separable:
            n, c, h, w = h1.shape
            cat = torch.empty((n, 4 * c, h, w),
                              dtype=h1.dtype,
                              device=h1.device,
                              memory_format=_format_of(h1))
            for i, (layer, x) in enumerate(
                    zip(self.smooth_branches, branches)):
                part = cat[:, i * c:(i + 1) * c]
                if isinstance(layer, UpsampledConv3x3):
                    layer(x, out=part)
                else:
                    part.copy_(layer(x))
            y = self.smooth_mix(cat)
        else:
            y = self.smooth_branches[-1](h1)
            for layer, x in zip(self.smooth_branches[:-1], branches[:-1]):
                layer(x, out=y, accumulate=True)
        return self.smooth_post(y)

    def forward(self, feats):
        enc0, enc1, enc2, enc3, enc4 = feats
        map4 = self.lateral4(enc4)
        map3 = self.td1(enc3, map4)
        map2 = self.td2(enc2, map3)
        map1 = self.td3(enc1, map2)
        x = self._smooth([
            self.head4(map4),
            self.head3(map3),
            self.head2(map2),
            self.head1(map1)
        ])
        x = self.smooth2(enc0, x)
        n, _, h, w = x.shape
        out = x.new_empty(n, self.final.out_channels, 2 * h, 2 * w)
        return self.final(x, out=out)


def _format_of(x):
    return torch.channels_last if x.is_contiguous(
        memory_format=torch.channels_last) else torch.contiguous_format


class _InLayout(nn.Module):
    """The backbone, fed in the fast path's dtype and memory format."""

    def __init__(self, backbone, dtype, memory_format):
        super().__init__()
        self.body = backbone
        self.dtype, self.memory_format = dtype, memory_format

    def forward(self, x):
        return self.body(
            x.to(self.dtype, memory_format=self.memory_format))


class FastFPNGenerator(nn.Module):
    """An inference-only :class:`FPNGenerator` (see the module docstring).

    Build it with :func:`optimize_generator`. Padding, cropping and the
    global residual are :class:`FPNGenerator`'s own ``forward``; the
    backbone, neck and head are the fast versions.

    Args:
        generator (FPNGenerator): The source generator (left untouched).
        norm_stats (str | None): ``'per_image'`` or ``'running'``; None
            takes the generator's.
        dtype (torch.dtype): Compute dtype (float32, float16, bfloat16).
            Normalisation statistics stay float32, and the global residual
            is added in the input's dtype.
        channels_last (bool): Run the network in channels-last layout.

    Shapes: ``(N, 3, H, W)`` in [-1, 1] -> ``(N, 3, H, W)`` in [-1, 1], the
    input's dtype.
    """

    def __init__(self,
                 generator,
                 norm_stats=None,
                 dtype=torch.float32,
                 channels_last=True):
        super().__init__()
        source = read_source(generator)
        norm_stats = norm_stats or source.norm_stats
        if norm_stats not in NORM_STATS_MODES:
            raise ValueError(f'norm_stats must be one of {NORM_STATS_MODES},'
                             f' got {norm_stats!r}')
        self.norm_stats = norm_stats
        self.pad_mode = source.pad_mode
        self.pad_multiple = source.pad_multiple
        self.global_residual = source.global_residual
        memory_format = torch.channels_last if channels_last else \
            torch.contiguous_format
        self.backbone = _InLayout(
            self._copy(source.backbone), dtype, memory_format)
        if source.decoder is not None:
            self.neck = nn.Identity()  # the decoder takes the backbone maps
            self.head = FastFPNDecoder(source.decoder, norm_stats)
        else:
            self.neck = self._copy(source.neck)
            self.head = self._copy(source.head)
        convert_conv_weights(self, (FusedConv, UpsampledConv3x3,
                                    ScaledResidualBlock), dtype,
                             memory_format)
        # Plain layers left in place (unknown parts) follow too.
        for module in self.modules():
            for name, param in list(module.named_parameters(recurse=False)):
                value = param.detach().to(dtype)
                if value.dim() == 4:
                    value = value.contiguous(memory_format=memory_format)
                module._parameters[name] = nn.Parameter(
                    value, requires_grad=False)

    def _copy(self, part):
        part = copy.deepcopy(part).eval()
        set_norm_stats(part, self.norm_stats)
        return fuse_module_tree(part, self.norm_stats)

    _check_features = FPNGenerator._check_features

    def forward(self, x):
        if (x.dim() == 4 and x.shape[0] > 1
                and self.norm_stats == 'per_image'
                and x.device.type == 'cpu'):
            # Images are independent in per-image mode; one at a time every
            # norm is one batch-norm kernel (no batched var_mean pass).
            return torch.cat([self(image) for image in x.split(1)])
        return FPNGenerator.forward(self, x)


_DECLARED = {}


def has_fast_path(generator):
    """Whether :func:`optimize_generator` computes what ``generator`` does.

    True for an :class:`FPNGenerator` itself, and for a subclass that
    declares ``fast_path = True`` in its own class body: a promise that its
    ``forward`` is FPNGenerator's on its ``backbone``, ``neck`` and
    ``head`` (the declaration is not inherited). A declaring class that
    overrides ``forward`` is refused, once per class. Anything else (another
    generator, a subclass with its own ``forward``) takes the plain path.

    Raises:
        TypeError: a class declares ``fast_path`` but overrides ``forward``.
    """
    cls = type(generator)
    if cls is FPNGenerator:
        return True
    if not issubclass(cls, FPNGenerator) or \
            cls.__dict__.get('fast_path') is not True:
        return False
    if cls not in _DECLARED:
        _DECLARED[cls] = cls.forward is FPNGenerator.forward
    if not _DECLARED[cls]:
        raise TypeError(
            f'{cls.__name__} declares fast_path = True but overrides '
            'forward; the fast path computes FPNGenerator.forward. Remove '
            'the declaration (its own forward then runs) or the override.')
    return True


def optimize_generator(generator,
                       norm_stats=None,
                       device=None,
                       dtype=None,
                       channels_last=True,
                       compile=False):
    """An inference-only module equal to ``generator`` in eval mode.

    The result is new (weights are copied; ``generator`` is not modified)
    and is meant to be called under ``torch.inference_mode()``. Its output
    matches ``generator.eval()`` with the same ``norm_stats`` within float
    rounding (1e-4 is tested) in float32.

    Args:
        generator (FPNGenerator): The generator (:func:`has_fast_path`).
            With another neck or head those parts only get fused layers.
        norm_stats (str, optional): ``'per_image'`` (the official
            predictor's statistics) or ``'running'``; default: the
            generator's own.
        device (str | torch.device, optional): Where the module runs;
            default: the generator's device.
        dtype (torch.dtype | str, optional): float32 (default), float16 or
            bfloat16 (``'fp16'``, ``'bf16'``). Half precision is meant for
            CUDA; on the CPU bfloat16 works where the CPU supports it.
        channels_last (bool): Channels-last layout (default; fastest on the
            CPU with oneDNN and on GPUs with tensor cores).
        compile (bool | dict): Wrap the module in ``torch.compile`` (a dict
            gives its keyword arguments). Compiling takes a while on the
            first call of each input size.

    Returns:
        nn.Module: The fast generator, in eval mode, on ``device``.
    """
    if not has_fast_path(generator):
        raise TypeError(
            'optimize_generator needs an FPNGenerator (model.generator) '
            'that uses its forward, got '
            f'{type(generator).__name__}; run that generator as it is')
    if dtype not in DTYPES and not isinstance(dtype, torch.dtype):
        raise ValueError(f'dtype must be a torch dtype or one of '
                         f'{sorted(k for k in DTYPES if k)}, got {dtype!r}')
    dtype = DTYPES.get(dtype, dtype)
    if device is None:
        param = next(generator.parameters(), None)
        device = param.device if param is not None else 'cpu'
    if dtype == torch.bfloat16 and torch.device(device).type == 'cpu' \
            and not bf16_convolutions():
        raise RuntimeError(
            'bf16 on this CPU: oneDNN runs bfloat16 convolutions only on '
            'CPUs with AVX512-BF16/AMX-BF16 (native) or AVX-512 BW/VL/DQ or '
            'AVX-NE-CONVERT (emulated) and this one has none of them; run '
            'in fp32')
    fast = FastFPNGenerator(generator, norm_stats, dtype, channels_last)
    fast = fast.to(device).eval()
    if compile:
        kwargs = compile if isinstance(compile, dict) else {}
        fast = torch.compile(fast, **kwargs)
    return fast
