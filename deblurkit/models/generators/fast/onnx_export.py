"""Export the generator to ONNX, with per-image normalisation kept faithful.

The official predictor normalises with each image's statistics (train-mode
BatchNorm on a batch of one). Exporting that as a train-mode
``BatchNormalization`` would tie the images of a batch together and depends
on a rarely supported attribute, so :class:`ExportableGenerator` writes each
per-image norm as ``InstanceNormalization`` (with the layer's affine
weights) and each running-statistics norm as a fixed affine map. The graph
pads H and W to multiples of the generator's ``pad_multiple`` (32 for the
FPN generators; reflection) and crops back, with no Python branch, so
``dynamic=True`` gives a model for any batch and size. Any generator that
keeps the contract of :mod:`deblurkit.models.generators.contract` exports
(:func:`exportable`).

Needs the optional packages ``onnx`` and ``onnxruntime``
(``pip install -e .[onnx]``) to check the result; exporting needs only
torch.
"""
import copy
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

from deblurkit.fileio.atomic import atomic_output

from ...data_preprocessors.deblur_data_preprocessor import (PAD_MODES,
                                                           pad_to_multiple)
from ...layers.norm import NORM_STATS_MODES, set_norm_stats
from ..contract import SizeAdapter, pad_multiple_of
from .generator import has_fast_path
from .layers import (FastNorm, apply_activation_, is_norm, norm_act_of,
                     uses_image_stats)

INPUT_NAME, OUTPUT_NAME = 'input', 'output'
DEFAULT_OPSET = 17


class InstanceNormAct(nn.Module):
    """``F.instance_norm`` with a norm layer's affine, then an activation.

    Args:
        norm (nn.Module): The batch/instance norm whose weights it uses.
        act (str | nn.Module | None): Activation after it (timm norm-act
            layers carry their own).
    """

    def __init__(self, norm, act=None):
        super().__init__()
        affine = getattr(norm, 'affine', True) and norm.weight is not None
        self.weight = nn.Parameter(
            norm.weight.detach().clone(),
            requires_grad=False) if affine else None
        self.bias = nn.Parameter(
            norm.bias.detach().clone(), requires_grad=False) if affine else \
            None
        self.eps = float(norm.eps)
        self.act = act if isinstance(act, nn.Module) else None
        self.act_name = None if isinstance(act, nn.Module) else act

    def forward(self, x):
        y = F.instance_norm(
            x, weight=self.weight, bias=self.bias, use_input_stats=True,
            eps=self.eps)
        return apply_activation_(y, self.act or self.act_name)


def _replace_norms(module, norm_stats):
    for name, child in list(module.named_children()):
        if is_norm(child):
            image_stats = uses_image_stats(child, norm_stats)
            act = norm_act_of(child) if hasattr(child, 'act') else None
            if image_stats is None or act is NotImplemented:
                raise ValueError(
                    f'cannot export the norm layer {name} '
                    f'({type(child).__name__}) faithfully: it would use '
                    "batch statistics; export with norm_stats='per_image'")
            new = InstanceNormAct(child, act) if image_stats else FastNorm(
                child, act, image_stats=False)
            setattr(module, name, new)
        else:
            _replace_norms(child, norm_stats)
    return module


class ExportableGenerator(nn.Module):
    """The function of an :class:`FPNGenerator` in ONNX-friendly layers.

    Args:
        generator (FPNGenerator): The source (copied, not modified).
        norm_stats (str | None): ``'per_image'`` or ``'running'``; None
            takes the generator's.

    Shapes: ``(N, 3, H, W)`` in [-1, 1] -> ``(N, 3, H, W)``.
    """

    def __init__(self, generator, norm_stats=None):
        super().__init__()
        self.norm_stats = norm_stats or generator.norm_stats
        if self.norm_stats not in NORM_STATS_MODES:
            raise ValueError(f'norm_stats must be one of {NORM_STATS_MODES},'
                             f' got {self.norm_stats!r}')
        if generator.pad_mode not in PAD_MODES:
            raise ValueError(
                f'cannot export pad_mode={generator.pad_mode!r}: the graph '
                "pads inputs itself; build the generator with pad_mode="
                "'reflect' (the default)")
        self.pad_mode = generator.pad_mode
        self.pad_multiple = generator.pad_multiple
        self.global_residual = generator.global_residual
        for name in ('backbone', 'neck', 'head'):
            part = copy.deepcopy(getattr(generator, name)).eval()
            set_norm_stats(part, self.norm_stats)
            part.requires_grad_(False)
            self.add_module(name, _replace_norms(part, self.norm_stats))

    def forward(self, x):
        h, w = x.shape[-2:]
        # Always pad (possibly by 0): the graph has no shape-dependent
        # branch, so one export serves every size.
        padded = pad_to_multiple(x, self.pad_multiple, self.pad_mode,
                                 always=True)
        residual = self.head(self.neck(self.backbone(padded)))
        if not self.global_residual:
            return torch.tanh(residual[..., :h, :w])
        return torch.clamp(torch.tanh(residual[..., :h, :w]) + x, -1, 1)


def exportable(generator, norm_stats=None):
    """An ONNX-friendly copy of any generator (``generator`` is kept).

    An FPNGenerator that uses its own ``forward`` becomes an
    :class:`ExportableGenerator`. Any other generator is deep-copied in
    eval mode with its norm layers written as in ExportableGenerator (when
    it has ``norm_stats``) and wrapped in a :class:`SizeAdapter` that pads
    to its ``pad_multiple`` inside the graph and crops back.

    Args:
        generator (nn.Module): The generator.
        norm_stats (str | None): ``'per_image'`` or ``'running'`` (None:
            the generator's own).
    """
    if has_fast_path(generator):
        return ExportableGenerator(generator, norm_stats)
    module = copy.deepcopy(generator).eval()
    module.requires_grad_(False)
    norm_stats = norm_stats or getattr(generator, 'norm_stats', None)
    if norm_stats is not None:
        if norm_stats not in NORM_STATS_MODES:
            raise ValueError(f'norm_stats must be one of {NORM_STATS_MODES},'
                             f' got {norm_stats!r}')
        set_norm_stats(module, norm_stats)
        module = _replace_norms(module, norm_stats)
    return SizeAdapter(module, always_pad=True)


def export_onnx(generator,
                path,
                shape,
                batch_size=1,
                dynamic=False,
                norm_stats=None,
                opset=DEFAULT_OPSET,
                dynamo=False):
    """Write ``generator`` as an ONNX model to ``path``.

    The file is written under a temporary name in the same folder and
    renamed when complete, so ``path`` never holds a partial model.

    Args:
        generator (nn.Module): Any generator (see :func:`exportable`).
        path (str): Output ``.onnx`` file.
        shape (tuple[int, int]): ``(H, W)`` of the example input.
        batch_size (int): Batch of the example input.
        dynamic (bool): Make batch, height and width dynamic.
        norm_stats (str | None): Statistics of the norms (default: the
            generator's).
        opset (int): ONNX opset.
        dynamo (bool): Use torch's dynamo-based exporter (needs
            ``onnxscript``; slower) instead of the TorchScript one.

    Returns:
        str: ``path``.
    """
    module = exportable(generator, norm_stats).cpu().float().eval()
    h, w = shape
    example = torch.rand(batch_size, 3, h, w) * 2 - 1
    kwargs = dict(
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        opset_version=opset,
        dynamo=dynamo)
    if dynamic:
        if dynamo:
            dim = torch.export.Dim
            kwargs['dynamic_shapes'] = {
                'x': {
                    0: dim('batch'),
                    2: dim('height'),
                    3: dim('width')
                }
            }
        else:
            axes = {0: 'batch', 2: 'height', 3: 'width'}
            kwargs['dynamic_axes'] = {INPUT_NAME: axes, OUTPUT_NAME: axes}
    # Written whole or not at all, with the umask's permissions.
    with atomic_output(path) as tmp, warnings.catch_warnings(), \
            torch.no_grad():
        # Tracing warns about every shape read; the graph is checked
        # against PyTorch by check_onnx instead.
        warnings.simplefilter('ignore')
        torch.onnx.export(module, (example, ), tmp, **kwargs)
        _write_metadata(tmp, dict(
            norm_stats=getattr(module, 'norm_stats', None) or norm_stats
            or getattr(generator, 'norm_stats', None),
            pad_multiple=pad_multiple_of(generator)))
    return path


def _write_metadata(path, values):
    """Record ``values`` as ``deblurkit.<key>`` in the model's
    ``metadata_props`` (read back by :mod:`deblurkit.deploy`), when the
    ``onnx`` package is installed."""
    try:
        import onnx
    except ImportError:
        return
    model = onnx.load(path)
    for key, value in values.items():
        if value is not None:
            prop = model.metadata_props.add()
            prop.key, prop.value = f'deblurkit.{key}', str(value)
    onnx.save(model, path)


def onnx_session(path, device='cpu', threads=None, spinning=True):
    """An ONNX Runtime session for ``path`` on ``'cpu'`` or ``'cuda'``.

    ``spinning=False`` stops its idle threads from busy-waiting after each
    run (which would slow down other work in the process, e.g. PyTorch
    timed in turn with it).

    Raises:
        ImportError: onnxruntime is missing (``pip install -e .[onnx]``).
    """
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise ImportError(
            'onnxruntime is not installed: pip install -e .[onnx] (or pip '
            'install onnxruntime)') from err
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    if not spinning:
        options.add_session_config_entry('session.intra_op.allow_spinning',
                                         '0')
    options.graph_optimization_level = \
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    providers = ['CPUExecutionProvider']
    if str(device).startswith('cuda'):
        if 'CUDAExecutionProvider' not in ort.get_available_providers():
            raise RuntimeError(
                'this onnxruntime has no CUDA provider; install '
                'onnxruntime-gpu or use device cpu')
        providers.insert(0, 'CUDAExecutionProvider')
    return ort.InferenceSession(path, options, providers=providers)


def onnx_node_types(path):
    """The op type of every node in the ONNX model at ``path``."""
    import onnx
    return [node.op_type for node in onnx.load(path).graph.node]


def check_onnx(path, generator, shapes, norm_stats=None, session=None):
    """Largest absolute difference between ONNX Runtime and PyTorch.

    Args:
        path (str): The exported model.
        generator (nn.Module): The generator it came from.
        shapes (list[tuple]): ``(N, 3, H, W)`` inputs to compare on.
        norm_stats (str | None): The statistics it was exported with.
        session: An existing ONNX Runtime session for ``path``.

    Returns:
        float: ``max |onnxruntime - torch|`` over all inputs.
    """
    session = session or onnx_session(path)
    reference = copy.deepcopy(generator).cpu().float().eval()
    if hasattr(reference, 'norm_stats'):
        reference.norm_stats = norm_stats or generator.norm_stats
    reference = SizeAdapter(reference)
    worst = 0.0
    generator_rng = torch.Generator().manual_seed(0)
    for shape in shapes:
        x = torch.rand(*shape, generator=generator_rng) * 2 - 1
        with torch.inference_mode():
            expected = reference(x).numpy()
        got = session.run(None, {INPUT_NAME: x.numpy()})[0]
        worst = max(worst, float(abs(got - expected).max()))
    return worst
