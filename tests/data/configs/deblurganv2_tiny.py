# A tiny DeblurGAN-v2 for fast CPU tests of inference: random MobileNetV2
# weights, narrow FPN, no discriminator, L1 content loss.
model = dict(
    type='DeblurGANv2',
    generator=dict(
        type='FPNGenerator',
        backbone=dict(type='MobileNetV2', pretrained=False),
        neck=dict(type='FPN', num_filters=32),
        head=dict(type='FPNHead', num_filters=16)),
    discriminator=None,
    content_loss=dict(type='L1Loss'))
