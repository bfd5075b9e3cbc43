# Kohler benchmark (4 scenes x 12 recorded camera shakes = 48 photos).
# Each result is scored against every sharp frame recorded along its
# camera path, after gain + translation registration, keeping the best
# (KohlerMetric). The loader is HIDE's; the dataset, pipeline and
# evaluator differ. Layout: docs/user_guides/dataset_prepare.md. Elsewhere:
#   --cfg-options test_dataloader.dataset.data_root=/path/to/Kohler
_base_ = './hide.py'

test_pipeline = [
    dict(type='LoadPairedImages', keys=['img']),
    dict(
        type='PackDeblurInputs',
        meta_keys=('img_path', 'gt_path', 'gt_frames', 'key', 'ori_shape',
                   'ori_channels', 'ori_dtype')),
]

test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='KohlerDataset',
        data_root='data/Kohler',
        test_mode=True,
        pipeline=test_pipeline))

# frame_step=1 scores every recorded frame (the protocol); raise it for a
# quicker, slightly pessimistic estimate.
test_evaluator = [dict(type='KohlerMetric', frame_step=1)]
