# The DeblurGAN (v1) generator as the official DeblurGAN-v2 code's `resnet`
# option and its config: 64 base channels, 9 ResNet blocks, instance norm,
# dropout, learn_residual; trained with the same double-scale RaGAN-LS and
# perceptual loss as the FPN models. It has no backbone, so no warm-up.
_base_ = ['./deblurganv2_fpn_mobilenet.py']

model = dict(
    generator=dict(
        _delete_=True,
        type='ResnetGenerator',
        base_channels=64,
        num_blocks=9,
        norm='instance',
        dropout=True,
        learn_residual=True,
        norm_stats='per_image'),
    warmup_iters=0)
