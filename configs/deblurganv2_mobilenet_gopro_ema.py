_base_ = ['./deblurganv2_mobilenet_gopro.py']
# The released recipe plus an exponential moving average of the generator's
# weights (GeneratorEMAHook): validation, testing and the saved generator
# weights use the average; the raw weights are kept in the checkpoint
# (key `generator_ema`) for --resume.
custom_hooks = [
    dict(type='SafeCheckpointHook'),
    dict(type='DeblurVisualizationHook', interval=1, max_images=4),
    dict(type='GeneratorEMAHook', momentum=0.001),
]
