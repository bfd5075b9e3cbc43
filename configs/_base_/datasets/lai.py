# Lai et al. (CVPR 2016) real blurred images: no ground truth. The model is
# run, its outputs saved (tools/test.py --save-images DIR) and scored with
# a no-reference sharpness measure (variance of the Laplacian). The loader
# is HIDE's; the dataset, pipeline and evaluator differ.
# Layout: docs/user_guides/dataset_prepare.md. Elsewhere:
#   --cfg-options test_dataloader.dataset.data_root=/path/to/real_dataset
_base_ = './hide.py'

test_pipeline = [
    dict(type='LoadPairedImages', keys=['img']),
    dict(type='PackDeblurInputs'),
]

test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='BlurredImageDataset',
        data_root='data/Lai/real_dataset',
        test_mode=True,
        pipeline=test_pipeline))

test_evaluator = [dict(type='LaplacianVariance')]
