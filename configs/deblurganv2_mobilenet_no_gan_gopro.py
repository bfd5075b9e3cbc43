# FPN-MobileNet trained on the content loss alone (the official `no_gan`
# discriminator option): no discriminator and no adversarial loss (the
# discriminator's optim wrapper is skipped when there is none).
_base_ = ['./deblurganv2_mobilenet_gopro.py']

model = dict(discriminator=None, adv_loss=None)
