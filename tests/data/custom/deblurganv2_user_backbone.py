# Swap the backbone of the released config for the user's own one.
_base_ = ['../../../configs/deblurganv2_mobilenet_gopro.py']

custom_imports = dict(imports=['my_backbone'], allow_failed_imports=False)

model = dict(
    generator=dict(
        backbone=dict(_delete_=True, type='TinyUserBackbone', width=2)))
