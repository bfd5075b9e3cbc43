# The released GoPro recipe (double-scale discriminator, RaGAN-LS,
# perceptual loss, Adam) with a narrow generator and a loader without
# workers, for fast CPU tests of training tools.
_base_ = ['../../../configs/deblurganv2_mobilenet_gopro.py']
model = dict(
    generator=dict(
        backbone=dict(pretrained=False),
        neck=dict(num_filters=32),
        head=dict(num_filters=16)),
    content_loss=dict(pretrained=False),
    warmup_iters=0)
train_dataloader = dict(num_workers=0, persistent_workers=False)
