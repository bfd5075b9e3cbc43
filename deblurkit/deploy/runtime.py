"""Run an exported ONNX generator (float32 or int8) where a model goes.

:func:`init_onnx_model` loads a file written by
``tools/deployment/export_onnx.py`` (or quantised by
``tools/deployment/quantize_onnx.py``) into an :class:`OnnxModel`: a
stand-in for the model of :func:`~deblurkit.apis.init_model` that
:func:`~deblurkit.apis.deblur_image`, :func:`~deblurkit.apis.deblur_images`
(tiles included) and :func:`~deblurkit.apis.deblur_video` accept as they
are. Pre- and post-processing are therefore those of the PyTorch path:
RGB in [0, 1] mapped to [-1, 1] and padded (reflection) to a multiple of
32 by the same data preprocessor, the output cropped back and mapped to
[0, 1]; only the generator's forward runs in the other runtime.

Two runtimes:

- ``'onnxruntime'`` (``pip install -e .[onnx]``), on the CPU or, with
  onnxruntime-gpu, on CUDA;
- ``'opencv'``: OpenCV's DNN module (``cv2.dnn``, part of opencv-python),
  on the CPU.
"""
import os
import os.path as osp
from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn

from deblurkit.models.data_preprocessors import DeblurDataPreprocessor
from deblurkit.models.generators.fpn_generator import FPNGenerator
from deblurkit.models.layers.temporal_norm import active_provider

RUNTIMES = ('onnxruntime', 'opencv')
# Written by export_onnx into the model's metadata_props.
META_NORM_STATS = 'deblurkit.norm_stats'
META_PAD_MULTIPLE = 'deblurkit.pad_multiple'
# For models exported without it: the FPN generators' total stride.
DEFAULT_PAD_MULTIPLE = FPNGenerator.pad_multiple


OnnxInfo = namedtuple('OnnxInfo',
                      'metadata input_name input_shape num_inputs')
OnnxInfo.__doc__ = """What deblurkit reads of an ONNX model: its ``metadata_props``
(with ``deblurkit.norm_stats`` inferred from the graph when missing), and
the name, shape (dims are ints or names) and count of its inputs that are
not initializers."""
# Without the onnx package (or on a file it cannot parse: the runtime then
# reports it): nothing known but the generator contract.
UNKNOWN_MODEL = OnnxInfo({}, None, [None, 3, None, None], 1)


def model_info(model):
    """The :class:`OnnxInfo` of a loaded ``onnx.ModelProto``."""
    meta = {p.key: p.value for p in model.metadata_props}
    graph = model.graph
    if META_NORM_STATS not in meta:
        types = {node.op_type for node in graph.node}
        meta[META_NORM_STATS] = 'per_image' if (
            'InstanceNormalization' in types) else 'running'
    weights = {init.name for init in graph.initializer}
    inputs = [i for i in graph.input if i.name not in weights]
    if not inputs:
        return OnnxInfo(meta, None, [], 0)
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField('dim_value') else
             (d.dim_param or None) for d in dims]
    return OnnxInfo(meta, inputs[0].name, shape, len(inputs))


def read_model_info(path):
    """The :class:`OnnxInfo` of the model at ``path`` (read once, without
    its external data), or :data:`UNKNOWN_MODEL`."""
    try:
        import onnx
        model = onnx.load(path, load_external_data=False)
    except Exception:  # noqa: BLE001  the runtime reports a bad file
        return UNKNOWN_MODEL
    return model_info(model)


def _check_file(path):
    if not osp.exists(path):
        raise FileNotFoundError(f'{path}: no such ONNX model')
    if not osp.isfile(path):
        raise ValueError(f'{path} is not a file; expected an .onnx model')
    if not os.access(path, os.R_OK):
        raise PermissionError(f'{path}: not readable')


class _OrtRunner:

    def __init__(self, path, device, threads, spinning=True):
        from deblurkit.models.generators.fast.onnx_export import onnx_session
        try:
            self.session = onnx_session(path, device, threads, spinning)
        except ImportError:
            raise
        except Exception as err:  # noqa: BLE001  InvalidProtobuf, Fail...
            if isinstance(err, RuntimeError) and 'CUDA provider' in str(err):
                raise
            raise ValueError(f'{path}: onnxruntime cannot load it: '
                             f'{" ".join(str(err).split())}') from err
        inputs = self.session.get_inputs()
        self.input_name = inputs[0].name if inputs else None
        self.input_shape = list(inputs[0].shape) if inputs else []
        self.num_inputs = len(inputs)
        self.metadata = dict(
            self.session.get_modelmeta().custom_metadata_map)

    def __call__(self, x):
        return self.session.run(None, {self.input_name: x})[0]


class _OpenCVRunner:

    def __init__(self, path, device, threads, spinning=True):
        import cv2
        if not hasattr(cv2, 'dnn'):
            raise ImportError('this OpenCV has no dnn module; install '
                              'opencv-python (not a headless build without '
                              'dnn)')
        if not str(device).startswith('cpu'):
            raise ValueError(f'--device {device}: the OpenCV runtime runs '
                             'on the CPU only; use --device cpu')
        if threads:
            cv2.setNumThreads(threads)
        try:
            self.net = cv2.dnn.readNetFromONNX(path)
        except cv2.error as err:
            raise ValueError(f'{path}: OpenCV DNN cannot load it: '
                             f'{_cv2_reason(err)}') from err
        # Read from the file by OnnxGenerator (cv2.dnn does not say).
        self.input_shape = self.num_inputs = None
        self.metadata = {}

    def __call__(self, x):
        self.net.setInput(x)
        return self.net.forward()


def _cv2_reason(err):
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__


class OnnxGenerator(nn.Module):
    """An exported generator run by ONNX Runtime or OpenCV, as a module.

    Keeps the generator contract of
    :mod:`deblurkit.models.generators.contract`: ``(N, 3, H, W)`` float in
    [-1, 1] to the same shape. A model exported with a static shape takes
    only that height and width (a clear error otherwise); a static batch
    size is met by running the batch in chunks.

    Args:
        path (str): The ``.onnx`` file.
        runtime (str): ``'onnxruntime'`` or ``'opencv'``.
        device (str): ``'cpu'`` or ``'cuda[:N]'`` (onnxruntime-gpu).
        threads (int, optional): Intra-op threads of the runtime.
        spinning (bool): Let ONNX Runtime's idle threads busy-wait (faster
            alone; False when other work shares the CPU).

    Raises:
        FileNotFoundError, PermissionError: ``path`` cannot be read.
        ValueError: The runtime cannot load it, or it is not a generator
            export (one ``(N, 3, H, W)`` input).
        ImportError: The runtime is not installed (the message says what
            to install).
    """

    def __init__(self, path, runtime='onnxruntime', device='cpu',
                 threads=None, spinning=True):
        super().__init__()
        if runtime not in RUNTIMES:
            raise ValueError(f'runtime must be one of {RUNTIMES}, got '
                             f'{runtime!r}')
        _check_file(path)
        self.path, self.runtime = path, runtime
        runner = (_OrtRunner if runtime == 'onnxruntime' else
                  _OpenCVRunner)(path, device, threads, spinning)
        info = read_model_info(path)
        shape, count = info.input_shape, info.num_inputs
        if runner.input_shape is not None:
            shape, count = runner.input_shape, runner.num_inputs
        if count != 1 or len(shape) != 4 or shape[1] not in (
                3, None) and not isinstance(shape[1], str):
            raise ValueError(
                f'{path} is not an exported deblurkit generator: expected '
                f'one (N, 3, H, W) input, got {count} input(s) '
                f'of shape {shape}; export with '
                'tools/deployment/export_onnx.py')
        self._run = runner
        meta = {**info.metadata, **runner.metadata}
        self.norm_stats = meta.get(META_NORM_STATS, 'per_image')
        self.pad_multiple = int(
            meta.get(META_PAD_MULTIPLE, DEFAULT_PAD_MULTIPLE))
        self.static_batch = shape[0] if isinstance(shape[0], int) and \
            shape[0] > 0 else None
        self.static_size = tuple(shape[2:]) if all(
            isinstance(d, int) and d > 0 for d in shape[2:]) else None

    def _check(self, x):
        if active_provider() is not None:
            raise ValueError(
                'temporal smoothing changes the per-image statistics inside'
                ' PyTorch norm layers; an ONNX model cannot do it: use the '
                'PyTorch backend, or leave temporal smoothing off')
        if self.static_size and tuple(x.shape[-2:]) != self.static_size:
            h, w = self.static_size
            raise ValueError(
                f'{self.path} was exported for {h}x{w} inputs only (a static'
                f' shape); this image is {x.shape[-2]}x{x.shape[-1]} after '
                f'padding to a multiple of {self.pad_multiple}: re-export it '
                'with --dynamic '
                '(tools/deployment/export_onnx.py) or use images of that '
                'size')

    def forward(self, x):
        self._check(x)
        feed = np.ascontiguousarray(x.detach().float().cpu().numpy())
        step = self.static_batch or len(feed)
        outputs = []
        for first in range(0, len(feed), step):
            chunk = feed[first:first + step]
            count = len(chunk)
            if count < step:  # images are independent: fill with copies
                chunk = np.concatenate(
                    [chunk, np.repeat(chunk[-1:], step - count, axis=0)])
            outputs.append(np.asarray(self._run(chunk))[:count])
        return torch.from_numpy(np.concatenate(outputs)).to(x.device)


class OnnxModel(nn.Module):
    """What :mod:`deblurkit.apis` needs of a model, around an
    :class:`OnnxGenerator`: ``generator`` and the ``data_preprocessor``
    of the PyTorch path (no parameters, so tensors stay on the CPU)."""

    def __init__(self, generator):
        super().__init__()
        self.generator = generator
        self.data_preprocessor = DeblurDataPreprocessor(
            pad_size=generator.pad_multiple)


def init_onnx_model(path, runtime='onnxruntime', device='cpu',
                    threads=None, spinning=True):
    """Load an exported ``.onnx`` generator for :mod:`deblurkit.apis`.

    Example::

        model = init_onnx_model('fpn_mobilenet.onnx')
        sharp = deblur_image(model, 'blurry.png')

    Args: as :class:`OnnxGenerator`.

    Returns:
        OnnxModel: Usable wherever :func:`~deblurkit.apis.init_model`'s
        model is (not for training; no fp16, no temporal smoothing).
    """
    return OnnxModel(OnnxGenerator(path, runtime, device, threads,
                                   spinning)).eval()
