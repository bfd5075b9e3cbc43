# MobileNet-DSC: the FPN-MobileNet generator with every 3x3 convolution of
# the FPN and head depthwise-separable (the paper's fastest variant).
_base_ = ['./deblurganv2_fpn_mobilenet.py']

model = dict(
    generator=dict(
        neck=dict(conv_type='dsc'), head=dict(conv_type='dsc')))
