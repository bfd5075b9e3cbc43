# The released schedule (the official config.yaml) in iterations: 200 epochs of
# 1000 iterations, validation every epoch, Adam 1e-4 for both players,
# constant for 50k iterations, then linear decay. The official rule,
# lr = base - (base - 1e-7) / 200 * (epoch - 50), stops at epoch 199 far
# above 1e-7 (a quirk we keep): at 200k iterations lr = 0.25075 * base.
# The generator's copy of this schedule restarts at the end of warm-up
# (WarmupRestartHook, as the official fresh scheduler), so its decay runs
# from iteration 50k + warmup_iters on and ends at 0.265735 * base.
# fused=True: PyTorch's one-pass Adam kernel, the same update as the
# official single-tensor Adam up to float rounding (updates within 1e-6; the
# parity tests check the iterations), about 2% of a 256x256 CPU iteration.
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, fused=True)),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, fused=True)))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.0,
        end_factor=0.25075,
        by_epoch=False,
        begin=50000,
        end=200000)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=200000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
