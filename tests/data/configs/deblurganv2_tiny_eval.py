# The tiny random-weight DeblurGAN-v2 with a runtime and a test loop, for
# tests of tools that run mmengine's Runner (eval_report.py).
_base_ = [
    './deblurganv2_tiny.py',
    '../../../configs/_base_/datasets/gopro.py',
    '../../../configs/_base_/default_runtime.py',
]
test_cfg = dict(type='TestLoop')
