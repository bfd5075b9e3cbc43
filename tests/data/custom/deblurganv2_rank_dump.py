# The released MobileNet config plus a hook that saves every rank's weights.
_base_ = ['../../../configs/deblurganv2_mobilenet_gopro.py']

custom_imports = dict(imports=['rank_dump_hook'], allow_failed_imports=False)
custom_hooks = [
    dict(type='SafeCheckpointHook'),
    dict(type='RankDumpHook', after_iters=(2, 4)),
]
