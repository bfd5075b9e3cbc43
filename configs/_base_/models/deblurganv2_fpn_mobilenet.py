# DeblurGAN-v2 with the FPN-MobileNet generator, as released
# (fpn_mobilenet.h5): F=128, C=64, instance norm, double-scale discriminator,
# RaGAN-LS, perceptual content loss, backbone frozen for 3 epochs of 1000.
model = dict(
    type='DeblurGANv2',
    generator=dict(
        type='FPNGenerator',
        backbone=dict(type='MobileNetV2', pretrained=True),
        neck=dict(
            type='FPN', num_filters=128, norm='instance', conv_type='conv'),
        head=dict(
            type='FPNHead', num_filters=64, norm='instance',
            conv_type='conv'),
        norm_stats='per_image'),
    discriminator=dict(
        type='DoubleScaleDiscriminator',
        patch=dict(n_layers=3, norm='instance'),
        full=dict(n_layers=5, norm='instance')),
    content_loss=dict(type='PerceptualLoss', pretrained=True),
    adv_loss=dict(type='RaGANLSLoss', pool_size=50),
    adv_lambda=0.001,
    warmup_iters=3000,
    data_preprocessor=dict(type='DeblurDataPreprocessor', pad_size=32))
