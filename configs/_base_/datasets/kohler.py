# Kohler benchmark (4 scenes x 12 recorded camera shakes = 48 photos).
# Each result is scored against every sharp frame recorded along its
# camera path, after gain + translation registration, keeping the best
# (KohlerMetric). Layout: docs/user_guides/dataset_prepare.md. Elsewhere:
#   --cfg-options test_dataloader.dataset.data_root=/path/to/Kohler

test_pipeline = [
    dict(type='LoadPairedImages', keys=['img']),
    dict(
        type='PackDeblurInputs',
        meta_keys=('img_path', 'gt_path', 'gt_frames', 'key', 'ori_shape',
                   'img_shape')),
]

test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='KohlerDataset',
        data_root='data/Kohler',
        test_mode=True,
        pipeline=test_pipeline))

# frame_step=1 scores every recorded frame (the protocol); raise it for a
# quicker, slightly pessimistic estimate.
test_evaluator = [dict(type='KohlerMetric', frame_step=1)]
