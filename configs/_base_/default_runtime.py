default_scope = 'deblurkit'
# mmengine's Runner reading checkpoints (load_from, resume) through
# deblurkit's checkpoint reader: docs/user_guides/train_test.md.
runner_type = 'DeblurRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # Every one of the first 10 iterations, the last, and every 100th;
    # each line with the ETA. Logged values: docs/user_guides/train_test.md.
    logger=dict(type='DeblurLoggerHook', interval=100, first_iters=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Best checkpoint by validation PSNR, as the official training. Never
    # deletes a checkpoint before its successor is complete.
    checkpoint=dict(
        type='DeblurCheckpointHook',
        interval=1000,
        by_epoch=False,
        max_keep_ckpts=3,
        save_best='PSNR',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [
    # The official fresh generator scheduler at the end of warm-up (only
    # for models built with restart_optimizer_after_warmup=True).
    dict(type='WarmupRestartHook'),
    # Checkpoints of tensors and plain data only: they load with
    # torch.load(weights_only=True), so resuming is safe on torch >= 2.6.
    dict(type='SafeCheckpointHook'),
    dict(type='DeblurVisualizationHook', interval=1, max_images=4),
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# Generator and discriminator are wrapped by DDP separately, so each
# player's gradients are averaged in its own step.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)

vis_backends = [dict(type='LocalVisBackend')]
# No fixed name: each run gets its own visualizer (named after the
# experiment), saving under its own <work_dir>/<timestamp>/vis_data.
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_processor = dict(type='LogProcessor', window_size=100, by_epoch=False)
log_level = 'INFO'
# mmengine's environment, config and hook dump at start-up goes to the log
# file only; True prints it on the console too (tools/train.py --verbose).
log_dump_on_console = False
load_from = None
resume = False
randomness = dict(seed=0)
