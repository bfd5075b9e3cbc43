"""int8 post-training (static) quantisation of an exported generator.

:func:`quantize_onnx` rewrites a float32 model of
``tools/deployment/export_onnx.py`` in ONNX's QDQ form with ONNX Runtime's
static quantiser: convolution weights as int8 per output channel,
convolution inputs and outputs as int8 with ranges measured on a folder of
calibration images (min/max by default). The images are prepared exactly as
inference prepares them (:func:`calibration_input`: RGB in [0, 1], padded
by reflection to a multiple of 32, mapped to [-1, 1]). Everything else stays
float32: the per-image normalisation (``InstanceNormalization``), the
activations, the upsampling and the sums of the FPN, and the output's
``tanh``, residual and clamp; ``exclude_nodes`` keeps more convolutions in
float (by default the head's last one, whose output is the image).

Weights may be limited to 7 bits (``reduce_range``): x86 CPUs without VNNI
(AVX2, AVX-512 without VNNI) compute int8 products in pairs summed into a
saturating 16-bit register, which 8-bit weights can overflow. By default
the weights are 7-bit when the CPU that quantises lacks VNNI (measured on
the tests' model on an AVX2 CPU: 36.8 dB against float32 with 8-bit
weights, 39.6 dB with 7-bit ones); a model quantised on a VNNI CPU for
older CPUs should be quantised with ``reduce_range=True``.

Needs onnxruntime and onnx (``pip install -e .[onnx]``).
"""
import os.path as osp
import tempfile
import warnings

import numpy as np

from deblurkit.fileio import (IMG_EXTENSIONS, atomic_output, img2tensor,
                              is_image_file, read_image_file, walk_files)
from deblurkit.models.data_preprocessors import DeblurDataPreprocessor
from deblurkit.models.generators.fast import onednn

from .runtime import (DEFAULT_PAD_MULTIPLE, META_PAD_MULTIPLE, _check_file,
                      model_info)

METHODS = ('minmax', 'entropy', 'percentile')
QUANTIZED_OPS = ('Conv', )
META_QUANTIZATION = 'deblurkit.quantization'
# CPU flags (/proc/cpuinfo) of int8 dot products that do not saturate:
# AVX512-VNNI, AVX-VNNI, AMX-INT8 (x86); the dot-product extension (Arm).
VNNI_CPU_FLAGS = ('avx512_vnni', 'avx_vnni', 'amx_int8', 'asimddp')
INSTALL_HINT = ('pip install onnxruntime onnx, or pip install -e .[onnx] '
                "(the 'onnx' extra of deblurkit)")


def import_quantization():
    """``onnxruntime.quantization`` and ``onnx``, or an ImportError that
    says what to install."""
    try:
        import onnx
        from onnxruntime import quantization
    except ImportError as err:
        raise ImportError(f'int8 quantisation needs onnxruntime and onnx '
                          f'({err}): {INSTALL_HINT}') from err
    return quantization, onnx


def vnni_cpu():
    """Whether this CPU has non-saturating int8 dot products
    (:data:`VNNI_CPU_FLAGS`); False where /proc/cpuinfo cannot tell."""
    flags = onednn._cpu_flags()
    return bool(flags and flags.intersection(VNNI_CPU_FLAGS))


def calibration_input(img, pad_multiple=DEFAULT_PAD_MULTIPLE):
    """An image array as the model's ``(1, 3, H', W')`` float32 input:
    what :mod:`deblurkit.apis` feeds the generator (same preprocessor)."""
    tensor = img2tensor(img)
    batch = DeblurDataPreprocessor(pad_size=pad_multiple)(
        dict(inputs=[tensor]), False)['inputs']
    return np.ascontiguousarray(batch.numpy(), dtype=np.float32)


def calibration_files(folder, max_images=None):
    """The image files below ``folder`` (sorted, at most ``max_images``).

    Raises:
        ValueError: ``folder`` is not a folder or holds no image file.
    """
    if not osp.isdir(folder):
        raise ValueError(f'calibration folder {folder}: not a folder')
    files, _, _ = walk_files(folder, keep=is_image_file)
    if not files:
        raise ValueError(
            f'calibration folder {folder} holds no image file '
            f'({" ".join(IMG_EXTENSIONS)}); put there a few images like the '
            'ones to deblur')
    return files[:max_images] if max_images else files


class ImageCalibrationReader:
    """ONNX Runtime's calibration data reader over image files.

    Images that cannot be read, or that do not fit a static input shape,
    are skipped with a warning and listed in ``skipped``.

    Args:
        files (list[str]): Image paths.
        input_name (str): The model's input.
        pad_multiple (int): Padding of the inputs (as at inference).
        static_size (tuple[int, int] | None): The only ``(H, W)`` a static
            model takes.
        on_skip (callable, optional): ``on_skip(path, reason)`` for each
            image skipped (default: a warning).
    """

    def __init__(self, files, input_name, pad_multiple=DEFAULT_PAD_MULTIPLE,
                 static_size=None, on_skip=None):
        self.files = list(files)
        self.input_name = input_name
        self.pad_multiple = pad_multiple
        self.static_size = static_size
        self.used, self.skipped = [], []
        self._next = 0
        self.on_skip = on_skip or (lambda path, reason: warnings.warn(
            f'calibration image {path} skipped: {reason}'))

    def _skip(self, path, reason):
        self.skipped.append((path, reason))
        self.on_skip(path, reason)

    def get_next(self):
        while self._next < len(self.files):
            path = self.files[self._next]
            self._next += 1
            try:
                x = calibration_input(read_image_file(path),
                                      self.pad_multiple)
            except Exception as err:  # noqa: BLE001  one bad file
                self._skip(path, ' '.join(str(err).split()))
                continue
            if self.static_size and x.shape[-2:] != self.static_size:
                self._skip(path, f'{x.shape[-2]}x{x.shape[-1]} after padding'
                           ', but the model takes only '
                           f'{self.static_size[0]}x{self.static_size[1]}')
                continue
            self.used.append(path)
            return {self.input_name: x}
        return None


def output_convs(model):
    """Names of the Conv nodes whose output reaches the graph's output
    through no other Conv (the head's last convolution)."""
    producers = {out: node for node in model.graph.node
                 for out in node.output}
    found, stack, seen = [], [o.name for o in model.graph.output], set()
    while stack:
        name = stack.pop()
        node = producers.get(name)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node.op_type == 'Conv':
            found.append(node.name)
        else:
            stack.extend(node.input)
    return found


def quantize_onnx(model_path,
                  calib_dir,
                  out_path,
                  max_images=None,
                  method='minmax',
                  activation_type='int8',
                  exclude_nodes=None,
                  optimize=True,
                  on_skip=None,
                  reduce_range=None):
    """Write an int8 (QDQ) copy of an exported float32 generator.

    Args:
        model_path (str): The float32 ``.onnx`` model (read only).
        calib_dir (str): Folder of calibration images (searched
            recursively; a few dozen typical inputs are enough).
        out_path (str): The int8 model, written under a temporary name and
            renamed when complete.
        max_images (int, optional): Use at most this many images.
        method (str): Range estimation, ``'minmax'``, ``'entropy'`` or
            ``'percentile'`` (the last two hold every activation of every
            image in memory).
        activation_type (str): ``'int8'`` or ``'uint8'`` activations.
        exclude_nodes (list[str] | None): Conv nodes kept in float32; None
            keeps the head's last convolution (:func:`output_convs`).
        optimize (bool): Run ONNX Runtime's quantisation pre-processing
            (shape inference, constant folding, fusing fixed affine maps
            into convolutions) first.
        on_skip (callable, optional): ``on_skip(path, reason)`` for each
            calibration image that cannot be used (default: a warning).
        reduce_range (bool, optional): 7-bit weights, for CPUs without
            VNNI (see the module's doc); None (default): when this CPU has
            no VNNI (:func:`vnni_cpu`).

    Returns:
        dict: ``images`` (used), ``skipped`` (``(path, reason)``),
        ``quantized`` (Conv nodes in int8), ``float_convs`` (kept float),
        ``method``, ``reduce_range``.

    Raises:
        ValueError: A bad argument, a folder without usable images, an
            output on the input.
        ImportError: onnxruntime or onnx is missing.
    """
    quantization, onnx = import_quantization()
    if method not in METHODS:
        raise ValueError(f'method must be one of {METHODS}, got {method!r}')
    if activation_type not in ('int8', 'uint8'):
        raise ValueError("activation_type must be 'int8' or 'uint8', got "
                         f'{activation_type!r}')
    if reduce_range not in (None, True, False):
        raise ValueError(f'reduce_range must be None, True or False, got '
                         f'{reduce_range!r}')
    if reduce_range is None:
        reduce_range = not vnni_cpu()
    _check_file(model_path)
    if osp.isdir(out_path):
        raise ValueError(f'{out_path} is a folder; name the output .onnx '
                         'file')
    if osp.exists(out_path) and osp.samefile(out_path, model_path):
        raise ValueError(f'{out_path} is the input model; choose another '
                         'output name')
    files = calibration_files(calib_dir, max_images)
    try:
        source = onnx.load(model_path)
    except Exception as err:  # noqa: BLE001  a damaged or foreign file
        raise ValueError(f'{model_path}: not a readable ONNX model: '
                         f'{" ".join(str(err).split())}') from err
    info = model_info(source)
    shape = info.input_shape
    if info.num_inputs != 1 or len(shape) != 4:
        raise ValueError(f'{model_path} is not an exported deblurkit '
                         'generator (one (N, 3, H, W) input)')
    static = tuple(shape[2:]) if all(
        isinstance(d, int) and d > 0 for d in shape[2:]) else None
    reader = ImageCalibrationReader(
        files, info.input_name,
        int(info.metadata.get(META_PAD_MULTIPLE, DEFAULT_PAD_MULTIPLE)),
        static, on_skip)
    types = {'int8': quantization.QuantType.QInt8,
             'uint8': quantization.QuantType.QUInt8}
    methods = {'minmax': quantization.CalibrationMethod.MinMax,
               'entropy': quantization.CalibrationMethod.Entropy,
               'percentile': quantization.CalibrationMethod.Percentile}
    with tempfile.TemporaryDirectory(prefix='deblurkit-quant-') as work:
        float_model = model_path
        if optimize:
            float_model = osp.join(work, 'optimized.onnx')
            quantization.quant_pre_process(model_path, float_model,
                                          skip_symbolic_shape=True)
        graph = onnx.load(float_model)
        convs = [n.name for n in graph.graph.node if n.op_type == 'Conv']
        excluded = output_convs(graph) if exclude_nodes is None else list(
            exclude_nodes)
        unknown = sorted(set(excluded) - set(convs))
        if unknown:
            raise ValueError(f'exclude_nodes: no Conv node named '
                             f'{", ".join(unknown)} (the Conv nodes are '
                             f'{", ".join(convs[:5])}...)')
        quantized = osp.join(work, 'int8.onnx')
        try:
            quantization.quantize_static(
                float_model, quantized, reader,
                quant_format=quantization.QuantFormat.QDQ,
                op_types_to_quantize=list(QUANTIZED_OPS),
                per_channel=True,
                activation_type=types[activation_type],
                weight_type=quantization.QuantType.QInt8,
                reduce_range=reduce_range,
                nodes_to_exclude=excluded,
                calibrate_method=methods[method])
        except Exception as err:  # noqa: BLE001  explained below
            if not reader.used:
                raise _no_images(calib_dir, reader) from err
            raise
        if not reader.used:
            raise _no_images(calib_dir, reader)
        model = onnx.load(quantized)
        del model.metadata_props[:]
        for key, value in info.metadata.items():
            prop = model.metadata_props.add()
            prop.key, prop.value = key, value
        prop = model.metadata_props.add()
        prop.key, prop.value = META_QUANTIZATION, (
            f'int8 static QDQ, per-channel '
            f'{"7-bit " if reduce_range else ""}Conv weights, '
            f'{activation_type} activations, {method} ranges from '
            f'{len(reader.used)} images')
        with atomic_output(out_path) as tmp:
            onnx.save(model, tmp)
    return dict(images=len(reader.used), skipped=reader.skipped,
                quantized=len(convs) - len(excluded), float_convs=excluded,
                method=method, reduce_range=reduce_range)


def _no_images(calib_dir, reader):
    first = reader.skipped[0] if reader.skipped else ('', 'none read')
    return ValueError(
        f'calibration folder {calib_dir}: none of its '
        f'{len(reader.files)} image(s) could be used (e.g. {first[0]}: '
        f'{first[1]})')
