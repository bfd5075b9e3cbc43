# FPN-MobileNet trained on the content loss alone (the official `no_gan`
# discriminator option): no discriminator, no adversarial loss, no
# discriminator optimizer.
_base_ = ['./deblurganv2_mobilenet_gopro.py']

model = dict(discriminator=None, adv_loss=None)
optim_wrapper = dict(discriminator=None)
