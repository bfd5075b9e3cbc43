"""Deployment: exported ONNX generators run by ONNX Runtime or OpenCV DNN
(:mod:`.runtime`), and their int8 post-training quantisation
(:mod:`.quantize`). See docs/user_guides/inference.md."""
from .runtime import RUNTIMES, OnnxGenerator, OnnxModel, init_onnx_model

__all__ = ['RUNTIMES', 'OnnxGenerator', 'OnnxModel', 'init_onnx_model']
