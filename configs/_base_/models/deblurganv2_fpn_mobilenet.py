# DeblurGAN-v2 with the FPN-MobileNet generator, as released
# (fpn_mobilenet.h5): F=128, C=64, instance norm, double-scale discriminator,
# RaGAN-LS, perceptual content loss, backbone frozen for 3 epochs of 1000.
# The content loss is the one the released weights were trained with: its
# pixel term compares the ImageNet-normalised images (about 20x the paper's
# 0.5 * MSE on [0, 1] images; pixel_space='unit' gives the paper's formula).
# At the end of warm-up the generator's optimizer and scheduler restart, as
# the official train.py does (WarmupRestartHook in default_runtime.py).
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
    content_loss=dict(
        type='PerceptualLoss', pretrained=True, pixel_space='imagenet'),
    adv_loss=dict(type='RaGANLSLoss', pool_size=50),
    adv_lambda=0.001,
    warmup_iters=3000,
    restart_optimizer_after_warmup=True,
    data_preprocessor=dict(type='DeblurDataPreprocessor', pad_size=32))
