# RealBlur-J test set (980 pairs, the camera's JPEG images), given by the
# list file RealBlur_J_test_list.txt of "gt_path blur_path" lines.
# Layout: docs/user_guides/dataset_prepare.md. Point elsewhere with
#   --cfg-options test_dataloader.dataset.data_root=/path/to/RealBlur

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
        type='PairedListDataset',
        data_root='data/RealBlur',
        ann_file='RealBlur_J_test_list.txt',
        line_format='gt blur',
        test_mode=True,
        pipeline=test_pipeline))

# RealBlur's protocol: each result is registered to its ground truth
# (intensity gain, then an ECC homography, 100 iterations) and scored over
# the overlap only; SSIM is scikit-image's Gaussian SSIM (= our 'mmagic'
# recipe) averaged over the overlap. Plain scores:
#   --cfg-options test_evaluator.0.align=None test_evaluator.1.align=None
test_evaluator = [
    dict(type='PSNR', align='realblur'),
    dict(type='SSIM', align='realblur'),
]
