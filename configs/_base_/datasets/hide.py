# HIDE test set (2025 pairs): blurred images in test/test-close-ups and
# test/test-long-shot, sharp ones in GT/, matched by file name.
# Layout: docs/user_guides/dataset_prepare.md. Point elsewhere with
#   --cfg-options test_dataloader.dataset.data_root=/path/to/HIDE

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
        type='HIDEDataset',
        data_root='data/HIDE',
        test_mode=True,
        pipeline=test_pipeline))

test_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
