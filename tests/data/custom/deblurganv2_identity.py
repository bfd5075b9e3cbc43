# An identity "generator": tools/test.py then reports the blurred images'
# own PSNR/SSIM against the sharp ones.
_base_ = ['../../../configs/deblurganv2_mobilenet_no_gan_gopro.py']

custom_imports = dict(
    imports=['identity_generator'], allow_failed_imports=False)

model = dict(
    generator=dict(_delete_=True, type='IdentityGenerator'),
    content_loss=dict(_delete_=True, type='L1Loss'),
    warmup_iters=0)
