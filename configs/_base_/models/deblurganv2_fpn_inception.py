# DeblurGAN-v2 with the FPN-Inception-ResNet-v2 generator, as released
# (fpn_inception.h5): F=256, C=128. Inputs must be at least 128x128.
_base_ = ['./deblurganv2_fpn_mobilenet.py']

model = dict(
    generator=dict(
        backbone=dict(_delete_=True, type='InceptionResNetV2',
                      pretrained=True),
        neck=dict(num_filters=256),
        head=dict(num_filters=128)))
