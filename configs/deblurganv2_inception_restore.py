# FPN-Inception-ResNet-v2 trained on the paper's "Restore" mix
# (GoPro + DVD + NFS with the general degradations); validated on GoPro.
_base_ = [
    './_base_/models/deblurganv2_fpn_inception.py',
    './_base_/datasets/restore_mix.py',
    './_base_/schedules/deblurganv2_200k.py',
    './_base_/default_runtime.py',
]
