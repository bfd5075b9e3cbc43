_base_ = [
    './_base_/models/deblurganv2_fpn_inception_simple.py',
    './_base_/datasets/gopro.py',
    './_base_/schedules/deblurganv2_200k.py',
    './_base_/default_runtime.py',
]
