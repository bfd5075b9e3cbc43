# The official `fpn_inception_simple` generator: FPN-Inception-ResNet-v2
# whose FPN has no top-down convolutions (map_k = lateral_k + up2(map_k+1),
# no conv/norm/ReLU after the sum); everything else as FPN-Inception.
_base_ = ['./deblurganv2_fpn_inception.py']

model = dict(generator=dict(neck=dict(top_down_convs=False)))
