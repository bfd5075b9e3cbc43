# The official `fpn_dense` generator: DenseNet-121 (ImageNet weights) ->
# FPN without top-down convolutions (F=256) -> head with BatchNorm (C=128)
# -> tanh, with no global residual. The official module never freezes its
# backbone, so there is no warm-up.
_base_ = ['./deblurganv2_fpn_mobilenet.py']

model = dict(
    generator=dict(
        backbone=dict(_delete_=True, type='DenseNet',
                      model_name='densenet121', pretrained=True),
        neck=dict(num_filters=256, norm='none', top_down_convs=False),
        head=dict(num_filters=128, norm='batch'),
        global_residual=False),
    warmup_iters=0)
