"""int8 quantisation: deblurkit.deploy.quantize and
tools/deployment/quantize_onnx.py."""
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from conftest import texture
from deblurkit.apis import deblur_images
from deblurkit.deploy import init_onnx_model
from deblurkit.deploy.quantize import calibration_input, quantize_onnx
from deblurkit.evaluation.metrics.psnr import calculate_psnr
from tools.deployment import quantize_onnx as tool

onnx = pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

EVAL = [texture(1, (64, 80)), texture(2, (50, 71))]


def _node_types(path):
    return [node.op_type for node in onnx.load(path).graph.node]


def test_int8_model_stays_close_to_float32(tiny_int8, damped_onnx):
    types = _node_types(tiny_int8)
    # The per-image normalisation stays float: every InstanceNormalization
    # of the float model is there, none is fed by a QuantizeLinear.
    assert types.count('InstanceNormalization') == _node_types(
        damped_onnx).count('InstanceNormalization') > 0
    model = onnx.load(tiny_int8)
    weights = {t.name: t for t in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}
    convs = [n for n in model.graph.node if n.op_type == 'Conv']
    int8_weights = [c for c in convs if c.input[1] in producers and
                    producers[c.input[1]].op_type == 'DequantizeLinear' and
                    weights[producers[c.input[1]].input[0]].data_type ==
                    onnx.TensorProto.INT8]
    # Every Conv but the head's last has int8 weights.
    assert len(int8_weights) == len(convs) - 1
    float_conv = [c for c in convs if c not in int8_weights][0]
    assert float_conv.name == '/head/final/Conv'
    for node in model.graph.node:
        if node.op_type == 'InstanceNormalization':
            assert producers[node.input[0]].op_type != 'QuantizeLinear'
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta['deblurkit.norm_stats'] == 'per_image'
    assert 'from 2 images' in meta['deblurkit.quantization']
    fp32 = deblur_images(init_onnx_model(damped_onnx), EVAL)
    int8 = deblur_images(init_onnx_model(tiny_int8), EVAL)
    psnr = [calculate_psnr(a, b) for a, b in zip(int8, fp32)]
    # 38.7 dB measured (8-bit weights, a VNNI CPU; 39.6 dB with the 7-bit
    # weights of a CPU without VNNI); a calibration fed [0, 1] instead of
    # [-1, 1] inputs gives 35.7 dB.
    assert np.mean(psnr) > 37.5


def test_calibration_input_is_the_inference_input():
    img = texture(3, (50, 71))
    x = calibration_input(img)
    assert x.shape == (1, 3, 64, 96) and x.dtype == np.float32
    rgb = img[..., ::-1].astype(np.float32) / 255 * 2 - 1
    assert np.allclose(x[0, :, :50, :71], rgb.transpose(2, 0, 1), atol=1e-6)
    # Reflection padding, as the data preprocessor pads.
    assert np.allclose(x[0, :, 50, :71], x[0, :, 48, :71])


def test_tool_writes_the_model_and_reports(tmp_path, damped_onnx, calib_dir,
                                           capsys):
    before = os.stat(damped_onnx).st_mtime_ns, open(damped_onnx,
                                                    'rb').read()
    out = tmp_path / 'int8.onnx'
    assert tool.main([damped_onnx, calib_dir, '-o', str(out)]) == 0
    assert 'wrote' in capsys.readouterr().out
    assert os.listdir(tmp_path) == ['int8.onnx']
    assert (os.stat(damped_onnx).st_mtime_ns, open(damped_onnx,
                                                   'rb').read()) == before
    assert 'QuantizeLinear' in _node_types(str(out))


def test_unreadable_images_are_skipped_and_named(tmp_path, damped_onnx,
                                                 capsys):
    calib = tmp_path / 'calib'
    calib.mkdir()
    cv2.imwrite(str(calib / 'a.png'), texture(4))
    (calib / 'broken.png').write_bytes(b'not a png')
    out = tmp_path / 'int8.onnx'
    assert tool.main([damped_onnx, str(calib), '-o', str(out)]) == 1
    captured = capsys.readouterr()
    assert 'broken.png' in captured.err
    assert '1 image(s), 1 skipped' in captured.out
    assert out.exists()
    # Nothing usable: nothing written.
    os.remove(calib / 'a.png')
    os.remove(out)
    assert tool.main([damped_onnx, str(calib), '-o', str(out)]) == 2
    assert 'none of its 1 image(s) could be used' in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ['calib']


def _int8_weight_range(path):
    from onnx import numpy_helper
    model = onnx.load(path)
    weights = [numpy_helper.to_array(t) for t in model.graph.initializer
               if t.data_type == onnx.TensorProto.INT8 and t.dims]
    return min(w.min() for w in weights), max(w.max() for w in weights)


@pytest.mark.parametrize('flags, reduced', [
    ({'avx2', 'fma'}, True),  # AVX2 only: int8 products can saturate
    ({'avx512f', 'avx512bw', 'avx512_vnni'}, False),
    ({'avx2', 'avx_vnni'}, False),
])
def test_weights_are_7_bit_where_the_cpu_has_no_vnni(
        tmp_path, damped_onnx, calib_dir, monkeypatch, capsys, flags,
        reduced):
    from deblurkit.models.generators.fast import onednn
    monkeypatch.setattr(onednn, '_cpu_flags', lambda: frozenset(flags))
    out = str(tmp_path / 'auto.onnx')
    info = quantize_onnx(damped_onnx, calib_dir, out)
    assert info['reduce_range'] is reduced
    low, high = _int8_weight_range(out)
    # per-channel symmetric weights span the whole range they are given
    assert (low, high) == ((-64, 64) if reduced else (-127, 127))
    meta = {p.key: p.value for p in onnx.load(out).metadata_props}
    assert ('7-bit' in meta['deblurkit.quantization']) is reduced
    # The tool's --reduce-range on/off overrides the CPU's flags.
    choice = 'off' if reduced else 'on'
    assert tool.main([damped_onnx, calib_dir, '-o', out, '--reduce-range',
                      choice]) == 0
    assert ('7-bit' if not reduced else '8-bit') in capsys.readouterr().out
    assert _int8_weight_range(out) == (
        (-127, 127) if reduced else (-64, 64))


def test_7_bit_weights_stay_close_to_float32(tmp_path, damped_onnx,
                                             calib_dir):
    out = str(tmp_path / 'reduced.onnx')
    quantize_onnx(damped_onnx, calib_dir, out, reduce_range=True)
    fp32 = deblur_images(init_onnx_model(damped_onnx), EVAL)
    int8 = deblur_images(init_onnx_model(out), EVAL)
    # 39.6 dB measured on an AVX2 CPU (8-bit weights there: 36.8 dB)
    assert np.mean([calculate_psnr(a, b) for a, b in zip(int8, fp32)]) > 38
    with pytest.raises(ValueError, match='reduce_range'):
        quantize_onnx(damped_onnx, calib_dir, out, reduce_range='yes')


@pytest.mark.parametrize('case', ['empty', 'missing', 'not_onnx',
                                  'same_file', 'not_a_model'])
def test_bad_arguments_exit_2_and_write_nothing(case, tmp_path, damped_onnx,
                                                calib_dir, tiny_checkpoint,
                                                capsys):
    model, calib, out = damped_onnx, calib_dir, str(tmp_path / 'o.onnx')
    expected = {
        'empty': 'holds no image file',
        'missing': 'missing.onnx',
        'not_onnx': 'name an .onnx file',
        'same_file': 'is the input model',
        'not_a_model': 'not a readable ONNX model',
    }[case]
    if case == 'empty':
        calib = str(tmp_path / 'empty')
        os.mkdir(calib)
    elif case == 'missing':
        model = str(tmp_path / 'missing.onnx')
    elif case == 'not_onnx':
        out = str(tmp_path / 'o.pth')
    elif case == 'same_file':
        out = model = str(tmp_path / 'copy.onnx')
        with open(model, 'wb') as f:
            f.write(open(damped_onnx, 'rb').read())
    else:
        model = str(tmp_path / 'fake.onnx')
        with open(model, 'wb') as f:
            f.write(open(tiny_checkpoint, 'rb').read())
    listing = sorted(os.listdir(tmp_path))
    assert tool.main([model, calib, '-o', out]) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and expected in err
    assert 'Traceback' not in err
    assert sorted(os.listdir(tmp_path)) == listing
    if case == 'same_file':
        assert open(model, 'rb').read() == open(damped_onnx, 'rb').read()


def test_missing_onnxruntime_names_the_install(monkeypatch, tmp_path,
                                               damped_onnx, calib_dir,
                                               capsys):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    assert tool.main([damped_onnx, calib_dir, '-o',
                      str(tmp_path / 'o.onnx')]) == 2
    err = capsys.readouterr().err
    assert 'pip install onnxruntime' in err and '.[onnx]' in err
    assert not osp.exists(tmp_path / 'o.onnx')


def test_unknown_excluded_node_is_named(tmp_path, damped_onnx, calib_dir):
    with pytest.raises(ValueError, match='no Conv node named nope'):
        quantize_onnx(damped_onnx, calib_dir, str(tmp_path / 'o.onnx'),
                      exclude_nodes=['nope'])
    assert not os.listdir(tmp_path)
