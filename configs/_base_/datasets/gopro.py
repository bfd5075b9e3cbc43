# GoPro (GOPRO_Large): train on data/GoPro/train with the official
# augmentation, validate and test on the full frames of data/GoPro/test.
# Layout and download: docs/user_guides/dataset_prepare.md.

crop_size = 256

train_pipeline = [
    dict(type='LoadPairedImages', keys=['img', 'gt']),
    dict(type='PairedGeometricAugment', keys=['img', 'gt']),
    # Frames smaller than the crop are reflect-padded instead of failing.
    dict(type='PairedPadIfNeeded', size=crop_size, keys=['img', 'gt']),
    dict(type='PairedRandomCrop', size=crop_size, keys=['img', 'gt']),
    # Corrupts half of the blurred inputs with one of the released
    # config's corruptions (RandomCorrupt's default list); set
    # corruptions=[dict(name='jpeg', quality_lower=70, quality_upper=90), ...]
    # to choose others.
    dict(type='RandomCorrupt', keys=['img'], prob=0.5),
    dict(type='PackDeblurInputs'),
]

# Full frames: the data preprocessor pads to a multiple of 32 and the model
# crops its output back.
test_pipeline = [
    dict(type='LoadPairedImages', keys=['img', 'gt']),
    dict(type='PackDeblurInputs'),
]

train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='GoProDataset',
        data_root='data/GoPro/train',
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='GoProDataset',
        data_root='data/GoPro/test',
        test_mode=True,
        pipeline=test_pipeline))

test_dataloader = val_dataloader

val_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
test_evaluator = val_evaluator
