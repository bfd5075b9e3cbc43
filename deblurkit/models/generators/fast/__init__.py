"""The fast inference path of the DeblurGAN-v2 generator.

- :func:`optimize_generator` turns an :class:`FPNGenerator` into an
  inference-only module with the same outputs (:mod:`.generator`);
- :func:`fast_generator_for` keeps one per generator for
  ``deblurkit.apis`` (:mod:`.cache`);
- :mod:`.onednn` holds the only calls of torch's private oneDNN operators
  (fused convolutions), each with a public-operator fallback;
- :func:`export_onnx` writes the generator as ONNX with faithful per-image
  normalisation (:mod:`.onnx_export`).
"""
from .cache import fast_generator_for
from .generator import FastFPNGenerator, has_fast_path, optimize_generator
from .onnx_export import ExportableGenerator, check_onnx, export_onnx
from .upsampled_conv import UpsampledConv3x3, add_upsampled_

__all__ = [
    'FastFPNGenerator', 'has_fast_path', 'optimize_generator', 'fast_generator_for',
    'ExportableGenerator', 'export_onnx', 'check_onnx', 'UpsampledConv3x3',
    'add_upsampled_'
]
