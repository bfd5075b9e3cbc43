# The paper's "Restore" training mix: GoPro + DVD + NFS pairs, with the
# general degradations (RandomCorrupt's list: noise, JPEG, blur, colour
# and contrast changes) on half of the blurred inputs. NFS pairs are made
# from the 240 fps videos by averaging consecutive frames into the GoPro
# layout (data/NFS/train/<video>/{blur,sharp}/). Validation: GoPro test.
# Layouts: docs/user_guides/dataset_prepare.md.
_base_ = './gopro.py'

crop_size = 256
train_pipeline = [
    dict(type='LoadPairedImages', keys=['img', 'gt']),
    dict(type='PairedGeometricAugment', keys=['img', 'gt']),
    dict(type='PairedPadIfNeeded', size=crop_size, keys=['img', 'gt']),
    dict(type='PairedRandomCrop', size=crop_size, keys=['img', 'gt']),
    dict(type='RandomCorrupt', keys=['img'], prob=0.5),
    dict(type='PackDeblurInputs'),
]

dvd_test_videos = [
    '720p_240fps_2', 'IMG_0003', 'IMG_0021', 'IMG_0030', 'IMG_0031',
    'IMG_0032', 'IMG_0033', 'IMG_0037', 'IMG_0039', 'IMG_0049'
]

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(
                type='GoProDataset',
                data_root='data/GoPro/train',
                pipeline=train_pipeline),
            dict(
                type='DVDDataset',
                data_root='data/DVD/quantitative_datasets',
                exclude_videos=dvd_test_videos,
                pipeline=train_pipeline),
            dict(
                type='GoProDataset',
                data_root='data/NFS/train',
                pipeline=train_pipeline),
        ]))
