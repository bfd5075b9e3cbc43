# DVD (DeepVideoDeblurring_Dataset, Su et al. 2017): the 10 test videos of
# quantitative_datasets/, frames in input/ (blurred) and GT/ (sharp).
# Layout: docs/user_guides/dataset_prepare.md. Elsewhere:
#   --cfg-options test_dataloader.dataset.data_root=/path/to/quantitative_datasets
# The 10 test video names are deblurkit.datasets.DVD_TEST_VIDEOS.
dvd_test_videos = [
    '720p_240fps_2', 'IMG_0003', 'IMG_0021', 'IMG_0030', 'IMG_0031',
    'IMG_0032', 'IMG_0033', 'IMG_0037', 'IMG_0039', 'IMG_0049'
]

test_pipeline = [
    dict(type='LoadPairedImages', keys=['img', 'gt']),
    dict(type='PackDeblurInputs'),
]

test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='DVDDataset',
        data_root='data/DVD/quantitative_datasets',
        videos=dvd_test_videos,
        test_mode=True,
        pipeline=test_pipeline))

test_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
