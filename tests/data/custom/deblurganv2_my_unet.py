# The released FPN-MobileNet recipe (double-scale RaGAN-LS, perceptual loss,
# schedule, GoPro data) with the user's own generator in place of the FPN.
_base_ = ['../../../configs/deblurganv2_mobilenet_gopro.py']

custom_imports = dict(imports=['my_unet'], allow_failed_imports=False)

model = dict(
    generator=dict(_delete_=True, type='MyUNet', width=16),
    warmup_iters=0)  # no pretrained backbone to protect
