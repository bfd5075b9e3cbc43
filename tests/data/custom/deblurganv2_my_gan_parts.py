# The user's own discriminator and adversarial loss in the released recipe.
_base_ = ['../../../configs/deblurganv2_mobilenet_gopro.py']

custom_imports = dict(imports=['my_gan_parts'], allow_failed_imports=False)

model = dict(
    discriminator=dict(_delete_=True, type='TinyPatchD', width=32),
    adv_loss=dict(_delete_=True, type='HingeGANLoss'))
