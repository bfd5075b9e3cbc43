# The official `unet_seresnext` generator: a UNet decoder (F=32, transposed
# convolutions) on timm's SE-ResNeXt-50 (32x4d), ImageNet weights, with the
# FPN models' discriminators, losses and 3-epoch backbone warm-up.
_base_ = ['./deblurganv2_fpn_mobilenet.py']

model = dict(
    generator=dict(
        _delete_=True,
        type='UNetGenerator',
        backbone=dict(
            type='TimmBackbone', model_name='seresnext50_32x4d',
            pretrained=True),
        num_filters=32,
        deconv=True,
        norm_stats='per_image'))
