# Fine-tune the released FPN-MobileNet generator (the authors'
# fpn_mobilenet.h5) on pairs of one's own: docs/user_guides/finetune.md.
# Data in the GoPro layout, data/finetune/{train,test}/<sequence>/{blur,sharp}/
# (what tools/dataset_converters/synthesize_blur.py writes).
# Choices of this config, not the paper's: no frozen-backbone warm-up (the
# backbone is trained already), a 10x smaller learning rate than training
# from scratch, 20k iterations with the rate decaying linearly over the
# second half.
_base_ = ['./deblurganv2_mobilenet_gopro.py']

# The released generator (the discriminator starts afresh: the released
# files hold none). Any checkpoint deblurkit reads will do.
load_from = 'checkpoints/fpn_mobilenet.h5'

model = dict(
    # The ImageNet weights would be replaced by load_from's anyway.
    generator=dict(backbone=dict(pretrained=False)),
    warmup_iters=0,
    restart_optimizer_after_warmup=False)

optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=1e-5)),
    discriminator=dict(optimizer=dict(lr=1e-5)))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.0,
        end_factor=0.1,
        by_epoch=False,
        begin=10000,
        end=20000)
]

train_cfg = dict(max_iters=20000, val_interval=1000)

train_dataloader = dict(dataset=dict(data_root='data/finetune/train'))
val_dataloader = dict(dataset=dict(data_root='data/finetune/test'))
test_dataloader = val_dataloader
